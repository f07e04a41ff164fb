/*
 * Declarations that vigild's own files share. main.c owns start-up, the
 * control thread and shutdown. vigild_output.c opens the files that
 * records go to (the flow output, plugins.alerts_output and a --stats
 * FIFO), writes the flow records and reopens the files for a rotation.
 * Nothing outside these files includes this header.
 */
#ifndef VG_ENGINE_VIGILD_INTERNAL_H
#define VG_ENGINE_VIGILD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "capture/capture.h"
#include "common/config.h"
#include "lcore.h"
#include "sandbox_sup.h"
#include "stats.h"

struct vg_alert_store;
struct vg_api;
struct vg_control;
struct vg_minutes;
struct vg_ts_series;
struct vg_ts_writer;

struct vigild {
	struct vg_config cfg;
	struct vg_capture capture;
	struct vg_rx_lcore rx[VG_MAX_LCORES];
	unsigned int rx_count;
	struct vg_engine_lcore engines[VG_MAX_LCORES];
	struct vg_engine_lcore *engine_ptrs[VG_MAX_LCORES];
	unsigned int engine_count;
	bool live;
	bool status_lines;  /* live port or endless replay: print status */
	uint64_t launched_us; /* vg_capture_now_us() as the lcores started */

	int out_fd;
	int stats_fd;            /* a --stats FIFO opened at start, or -1 */
	bool waiting_for_reader; /* vg_vigild_open_output() waits on a FIFO */
	uint64_t records_lost;       /* records a failed write dropped */
	int records_error;           /* errno of the first failed write */
	int write_errors;
	const char *stats_path;

	const char *config_path;
	bool plugins;
	bool sandboxes_started;      /* vg_sandboxes_start() spawned them */
	bool signals_started;        /* start_control() set up the handlers */
	struct vg_sandboxes sandboxes;
	uint64_t settle_since_ms;    /* engines waiting for plugin results */
	struct vg_control *control;
	struct vg_api *api;          /* web.vigild_socket, or NULL */
	bool final_settle;
	struct vg_alert_store *alert_store; /* NULL: no database, no endpoint */

	/* Minute cuts, merged for the plugins' hooks and the timeseries. */
	bool minutes_on;
	struct vg_minutes *minutes;
	struct vg_ts_writer *ts_writer;   /* timeseries, or NULL */
	struct vg_ts_series *ts_series;

	uv_loop_t loop;
	uv_timer_t tick;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	uv_signal_t sighup;
	uv_signal_t sigusr1;
	uv_signal_t sigusr2;
	uint64_t last_status_ms;
	struct vg_stats last_stats;
	int signals;
};

/*
 * Writes the record buffers every engine lcore has handed over to the
 * flow output and gives the buffers back. Control thread only.
 */
void
vg_vigild_drain_records(struct vigild *d);

/*
 * Reopens the record files by path, for a rotation that moved them away.
 * Returns how many files were reopened.
 */
int
vg_vigild_reopen_outputs(struct vigild *d);

/*
 * Opens the flow output, plugins.alerts_output and a --stats FIFO before
 * the lcores start. Returns 0, -ECANCELED when a signal came before every
 * FIFO had a reader, or another negative errno.
 */
int
vg_vigild_open_output(struct vigild *d);

#endif
