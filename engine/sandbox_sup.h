/*
 * The sandbox supervisor, run by vigild's control thread.
 *
 * It creates one shared-memory region and two eventfds per vigil-sandbox
 * process, spawns the processes with libuv, reads their results (flow
 * statuses go to the engine lcore that owns the flow; alerts are written
 * as JSON Lines and logged), and watches them: a sandbox whose batch runs
 * past plugins.deadline_ms is killed, an idle sandbox that leaves a
 * heartbeat unhandled for deadline_ms + 1 s is killed, and a sandbox that
 * exits is started again after a back-off that doubles from 100 ms up to
 * 5 s. A reload or a stop sends SIGTERM, so the plugins' teardown() runs,
 * and SIGKILL only after 2 * deadline_ms + 1 s. Capture never waits for a
 * sandbox: engines drop batches their ring cannot take.
 */
#ifndef VG_SANDBOX_SUP_H
#define VG_SANDBOX_SUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "common/alert_details.h"
#include "common/config.h"
#include "common/sandbox_shm.h"
#include "events.h"
#include "minute.h"

struct vg_engine_lcore;
struct vg_alert_store;

struct vg_sandbox_counters {
	uint64_t starts;
	uint64_t exits;           /* every exit, including kills */
	uint64_t deadline_kills;  /* killed for overrunning a batch */
	uint64_t heartbeat_kills; /* killed for a heartbeat left unhandled */
	uint64_t load_kills;      /* killed for not loading in time */
	uint64_t teardown_kills;  /* killed for not exiting after SIGTERM */
	uint64_t hooks_skipped;   /* as reported by the sandbox */
	uint64_t result_batches;
	uint64_t result_bad;      /* undecodable or corrupt result batches */
	uint64_t statuses;
	uint64_t statuses_dropped; /* engine status ring full, unknown key */
	uint64_t alerts_triggered;
	uint64_t alerts_released;
	uint64_t details_wrapped; /* alert details that were not an object */
	uint64_t ts_points;       /* received; stored once timeseries exist */
	uint64_t plugin_errors;
	uint64_t events_seen;     /* as reported by the sandbox */
	uint64_t events_lost;     /* engine batches its rings dropped */
	uint64_t control_dropped; /* periodic batches its ring dropped */
	uint64_t plugins_disabled; /* for overrunning the deadline or never loading */
};

#define VG_SANDBOX_SCRIPTS_MAX 1024
#define VG_SANDBOX_DISABLED_MAX 64
#define VG_SANDBOX_NAME_LEN 64

/*
 * One script as its sandbox described it after loading, updated when the
 * sandbox reports a change at run time.
 */
struct vg_sandbox_script {
	char key[VG_SANDBOX_NAME_LEN];
	/* "default", "config", "setup", "error" or "failures" */
	char enabled_source[16];
	bool enabled;             /* its hooks run */
	char *file;               /* its path, or NULL */
};

struct vg_sandbox {
	unsigned int index;
	struct vg_sandbox_shm shm;
	int wake_fd;              /* vigild -> sandbox */
	int notify_fd;            /* sandbox -> vigild */
	uv_process_t process;
	uv_poll_t notify_poll;
	uv_timer_t restart_timer;
	uv_timer_t stop_timer;    /* SIGKILL after a SIGTERM not obeyed */
	bool running;
	bool stopping;            /* vigild is stopping: no restart */
	bool reloading;           /* stopped for a reload: restart at once */
	bool stop_sent;           /* SIGTERM sent to the running process */
	bool kill_sent;           /* SIGKILL sent for a deadline or heartbeat */
	uint64_t stop_sent_ms;
	uint64_t started_ms;
	/* Heartbeats: the batch count last seen, when it last moved (or a
	 * batch was running), and when the pending heartbeat went out. */
	uint64_t seen_batches;
	uint64_t active_ms;
	uint64_t heartbeat_ms;    /* 0: none pending */
	uint64_t hooks_skipped_before; /* by the processes before this one */
	uint64_t backoff_ms;
	uint64_t control_seq;
	_Atomic uint64_t results_applied; /* seq of the last result batch handled */
	uint32_t last_script;     /* script running when last killed, +1 */
	unsigned int same_script_kills;
	/* Plugin whose code ran when the last runs ended before loading was
	 * done, and how many runs in a row ended so in it. */
	char load_plugin[VG_SANDBOX_NAME_LEN];
	unsigned int same_plugin_loads;
	/* Plugin of each script number, as the sandbox described them. */
	char (*script_plugins)[VG_SANDBOX_NAME_LEN];
	/* Key and state of each script number, as the sandbox sent them. */
	struct vg_sandbox_script *scripts;
	unsigned int script_count;
	/* Plugins the running process loaded, as it listed them. */
	char (*loaded_plugins)[VG_SANDBOX_NAME_LEN];
	unsigned int loaded_count;
	/* Plugins this sandbox starts without, for overrunning deadlines or
	 * never loading. */
	char disabled[VG_SANDBOX_DISABLED_MAX][VG_SANDBOX_NAME_LEN];
	unsigned int disabled_count;
	struct vg_sandbox_counters counters;
};

/* One capture port's counters, for the interface hooks. */
struct vg_interface_counters {
	const char *name;
	uint64_t packets;
	uint64_t bytes;
	uint64_t imissed;
	uint64_t ring_full;
	uint64_t flows_table_full;
	uint32_t active_flows;
	uint32_t flows_capacity;   /* flow table slots over all engine lcores */
	uint32_t hosts_capacity;   /* host table slots, 0 without host tables */
	uint64_t hosts_table_full; /* hosts not counted: table full */
};

struct vg_sandboxes {
	const struct vg_config *cfg;
	const char *config_path;  /* passed to vigil-sandbox, or NULL */
	char sandbox_path[VG_PATH_MAX];
	uv_loop_t *loop;
	struct vg_engine_lcore **engines;
	unsigned int engine_count;
	struct vg_sandbox sandboxes[VG_MAX_SANDBOXES];
	unsigned int count;
	uint8_t *result_buf;
	FILE *alerts;             /* alerts_output, or NULL; vigild opens it */
	/* Checks alert details (alert_details.h), opened at the first
	 * alert; details_failed is set when that failed. */
	struct vg_alert_details *details;
	bool details_failed;
	uint64_t details_warn_minute;   /* rate limit of the warnings */
	unsigned int details_warn_count;
	uint64_t details_not_logged;
	struct vg_alert_store *alert_store; /* alerts.database, or NULL */
	uint64_t alert_log_second;
	unsigned int alert_log_count;
	uint64_t alerts_not_logged;
	/* Running totals from the merged minutes (minute.h). */
	uint64_t port_packets[VG_MAX_PORTS];
	uint64_t port_bytes[VG_MAX_PORTS];
	struct vg_minute_net nets[VG_MAX_LOCAL_NETS];
	struct vg_host_totals host_totals;
	const struct vg_minute_host **host_delta; /* by host_totals position */
	uint32_t host_delta_cap;
	uint32_t host_delta_count;

	/* Fills <out> with up to <max> ports' counters; returns how many. */
	unsigned int (*interfaces)(void *ctx, struct vg_interface_counters *out,
				   unsigned int max);
	void *interfaces_ctx;
};

/*
 * Starts cfg->sandboxes vigil-sandbox processes on <loop> and connects
 * <engines> to their rings. <argv0> locates vigil-sandbox when the config
 * does not name it. Returns 0 or a negative errno, with the cause logged.
 */
int
vg_sandboxes_start(struct vg_sandboxes *sb, const struct vg_config *cfg,
		   const char *config_path, const char *argv0, uv_loop_t *loop,
		   struct vg_engine_lcore **engines, unsigned int engine_count);

/*
 * Finds the vigil-sandbox a start runs: plugins.sandbox_path as given,
 * else ../sandbox/vigil-sandbox or vigil-sandbox in the folder of the
 * running program (<argv0> when /proc/self/exe cannot be read), the first
 * that is executable. Fills <path> and returns 0, or returns -ENOENT
 * with the folder and the fix in <problem>.
 */
int
vg_sandbox_find_program(const struct vg_config *cfg, const char *argv0,
			char *path, size_t path_len, char *problem,
			size_t problem_len);

/* Reads every result waiting in the result rings. */
void
vg_sandboxes_poll(struct vg_sandboxes *sb);


/*
 * Kills sandboxes whose batch overran the deadline, and sends heartbeats
 * to idle ones, killing those that leave one unhandled. Called from the
 * control thread's timer.
 */
void
vg_sandboxes_tick(struct vg_sandboxes *sb);

/*
 * The vg_minute_fn that fires the periodic hooks: host, interface,
 * network and system snapshots for min at the end of each minute of
 * packet time, and for 5mins, hour and day on their boundaries, with the
 * ports' drop counters from sb->interfaces.
 */
void
vg_sandboxes_minute(void *ctx, const struct vg_minute_merged *m);

/*
 * Returns true when every event handed to the sandboxes has been handled
 * and its results read: rings empty and no batch running.
 */
bool
vg_sandboxes_settled(struct vg_sandboxes *sb);

/*
 * Restarts every sandbox, so plugins and their settings are read again:
 * each gets SIGTERM, runs its teardowns and is started again as soon as
 * it exits. The configuration file is checked first: when it fails, as
 * it would fail a start, nothing is restarted, the problem is logged and
 * written into <err>, and a negative errno is returned.
 */
int
vg_sandboxes_reload(struct vg_sandboxes *sb, char *err, size_t err_len);

/*
 * Stops the sandboxes with SIGTERM and closes their handles once they have
 * exited. The loop must run until then, which takes at most
 * 2 * deadline_ms + 1 s.
 */
void
vg_sandboxes_stop(struct vg_sandboxes *sb);

/* Adds the counters of every sandbox to <total>. */
void
vg_sandboxes_counters(const struct vg_sandboxes *sb,
		      struct vg_sandbox_counters *total);

#endif
