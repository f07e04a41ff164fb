/*
 * Declarations shared by the files of vigil-sandbox-drive: the run state
 * (sandbox_drive.c), the tables that turn command words into event
 * messages (sandbox_drive_fields.c) and the JSON Lines output
 * (sandbox_drive_output.c). Nothing outside the driver includes it.
 */
#ifndef VG_SANDBOX_SANDBOX_DRIVE_H
#define VG_SANDBOX_SANDBOX_DRIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/sandbox_shm.h"
#include "sandbox/json.h"
#include "vigil_events.pb-c.h"

#define MAX_ENGINES 8

enum drive_field_type { T_U32, T_U64, T_BOOL, T_STR, T_IP, T_LIST, T_DOUBLE,
			T_HOOK, T_L4 };

/* One settable field of a message: its command word, type and offset. */
struct drive_key {
	const char *name;
	enum drive_field_type type;
	size_t off;
	size_t off2;             /* T_LIST: the array; <off> is its count */
};

struct pending {
	Vigil__V1__EventBatch batch;
	uint64_t seq;
};

struct drive {
	struct vg_sandbox_shm shm;
	int wake_fd;
	int notify_fd;
	pid_t child;
	bool exited;
	int exit_code;
	int exit_signal;
	unsigned int engines;
	struct pending pending[MAX_ENGINES + 1]; /* engines, then control */
	uint64_t sent;           /* batches put on input rings */
	uint64_t result_seq;     /* last ResultBatch seq seen */
	bool quiet;              /* count results instead of printing them */
	uint64_t counts[6];      /* statuses, triggers, releases, points,
				  * errors, batches */
	struct vg_sbx_buf out;
	uint8_t *buf;
	size_t cap;
};


/* Field tables of the messages the commands build, ended by a NULL name. */
extern const struct drive_key drive_flow_keys[];
extern const struct drive_key drive_host_keys[];
extern const struct drive_key drive_interface_keys[];
extern const struct drive_key drive_network_keys[];
extern const struct drive_key drive_system_keys[];

/*
 * Sets the fields of <msg> named by the KEY=VALUE words of <argv>, using
 * <keys>; "engine", "control", "n" and "batch" are skipped. Returns 0, or
 * -1 after printing a drive_error line for an unknown or invalid field.
 */
int
drive_fill(void *msg, const struct drive_key *keys, char **argv, int argc,
	   struct drive *d);

/* Returns the value of the hex digit <c>, or -1. */
int
drive_hexval(char c);

/* Writes the line built in d->out to standard output and empties it. */
void
drive_emit(struct drive *d);

/* Prints a drive_error line with the message <fmt> formatted with <arg>. */
void
drive_error(struct drive *d, const char *fmt, const char *arg);

/* Prints one line per status, alert, release, point, loaded plugin and
 * error of <rb>, then a batch line; only counts them while d->quiet. */
void
drive_print_result(struct drive *d, const Vigil__V1__ResultBatch *rb);

/* Prints the exit line with the sandbox's exit code and signal. */
void
drive_print_exit(struct drive *d);

#endif
