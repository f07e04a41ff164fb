/*
 * Opening the files vigild writes records to, FIFOs included.
 *
 * open(2) of a FIFO for writing blocks until a reader opens it, and the
 * kernel restarts that open after a signal handler installed with
 * SA_RESTART (libuv's are). vg_outputs_open() therefore opens a FIFO with
 * O_NONBLOCK and retries while it has no reader, asking its caller
 * between tries whether vigild is stopping. It tries every output that
 * is still closed in each round, so one reader that opens the FIFOs in
 * any order cannot deadlock with vigild.
 */
#ifndef VG_OUTPUT_FILE_H
#define VG_OUTPUT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Time between two tries to open a FIFO that has no reader. */
#define VG_OUTPUT_FIFO_RETRY_MS 100

/* One file to open for writing. */
struct vg_output {
	const char *path;
	const char *key;  /* config key or option named in log lines */
	int flags;        /* for open(2); O_WRONLY is added */
	mode_t mode;      /* for a file that open(2) creates */
	int fd;           /* the result: a descriptor, or -1 */
	bool fifo;        /* set by vg_outputs_open() */
	bool wait_logged; /* "waiting for a reader" was logged */
	bool no_reader;   /* a FIFO without a reader at the last try */
};

/*
 * Returns true when vigild is stopping and must give up waiting for a
 * reader. Called between tries, so it may run an event loop for a moment.
 */
typedef bool (*vg_output_stopping_fn)(void *ctx);

/*
 * Opens the <count> files of <outputs> and stores each descriptor in its
 * fd. When a FIFO has no reader, logs once that vigild waits for one and
 * tries again every VG_OUTPUT_FIFO_RETRY_MS until a reader opens it or
 * <stopping> returns true. A FIFO's descriptor is in blocking mode, so
 * later writes wait for the reader instead of failing with EAGAIN.
 *
 * Returns 0 with every fd set, or a negative errno with every fd closed
 * and set to -1: -ECANCELED when <stopping> returned true first, or the
 * error of open(2) or fcntl(2), already logged.
 */
int vg_outputs_open(struct vg_output *outputs, unsigned int count,
		    vg_output_stopping_fn stopping, void *ctx);

/*
 * Writes the <len> bytes of whole records (lines) at <data> to <fd>.
 * When write(2) fails part-way, as on a full disk, the records written
 * whole stay, a record written in part is cut off a regular file so it
 * stays valid JSON Lines, and the rest are not written. Returns how many
 * records were not written, with the errno of the failure in <err> (0
 * when every record was written).
 */
uint64_t vg_output_write_records(int fd, const char *data, size_t len,
				 int *err);

/*
 * Opens the regular file <path> again for appending, creating it with
 * <mode> when it was moved away, to take the place of <fd>, which the
 * caller closes once it has written what it holds. Logs the reopening.
 * Returns the new descriptor, -ESPIPE when <fd> is not a regular file
 * (a FIFO or /dev/null, which are kept as they are), or the negative
 * errno of open(2). Each outcome is logged.
 */
int vg_output_reopen(const char *path, const char *key, int fd, mode_t mode);

#endif
