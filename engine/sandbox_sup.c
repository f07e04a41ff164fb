/*
 * The sandbox supervisor; see sandbox_sup.h.
 *
 * Restarting a sandbox reuses its region. While no sandbox runs, the
 * control thread empties the control and result rings itself. It sets a
 * reset request for each engine lcore, which empties its own event ring,
 * because the lcore is that ring's only writer and so the only one that
 * may reset the positions. The new process is spawned once every lcore
 * has done so. Batches queued for the dead process are lost and counted
 * in event_batches_dropped.
 *
 * Liveness costs nothing per event: the control timer reads the batch
 * count the sandbox keeps in the status block. Only a sandbox whose count
 * has not moved for HEARTBEAT_MS gets a heartbeat (an empty batch on the
 * control ring), and one that still has not handled it deadline_ms +
 * RESPONSE_SLACK_MS later is killed. Engine lcores wait as long for the
 * statuses of a flow. A sandbox that is merely short of CPU on a loaded
 * machine thus gets a second more to handle a heartbeat than to finish a
 * batch. Until a sandbox sets its ready flag it handles no batch, so
 * plugins.load_timeout_ms from its start bounds that phase instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "common/alert_details.h"
#include "common/log.h"
#include "alert_store.h"
#include "hosts.h"
#include "lcore.h"
#include "sandbox_internal.h"
#include "sandbox_sup.h"
#include "vigil_events.pb-c.h"

#define EVENT_RING_BYTES (4u << 20)
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define HEALTHY_MS 30000      /* a run this long resets the back-off */
/* Runs in a row that end in one plugin before it is disabled: deadline
 * kills in the same script, or ends before loading finished. */
#define KILLS_BEFORE_DISABLE 3
#define HEARTBEAT_MS 1000     /* idle time before a heartbeat is sent */
#define RESPONSE_SLACK_MS 1000 /* added to deadline_ms for a response */

static void spawn_sandbox(struct vg_sandboxes *sb, struct vg_sandbox *box);
static void loading_plugin(const struct vg_sandbox *box,
			   char out[VG_SANDBOX_NAME_LEN]);
static void note_failed_load(struct vg_sandbox *box, const char *plugin);

/* ---- processes ---- */

/* Empties the rings of a sandbox that is not running. */
static bool
rings_reset(struct vg_sandboxes *sb, struct vg_sandbox *box)
{
	struct vg_shm_ring_ref *rings[2] = {
		vg_sandbox_shm_control_ring(&box->shm),
		vg_sandbox_shm_result_ring(&box->shm),
	};
	unsigned int e;
	unsigned int i;
	bool done = true;

	for (i = 0; i < 2; i++) {
		atomic_store(&rings[i]->shared->head, 0);
		atomic_store(&rings[i]->shared->tail, 0);
		atomic_store(&rings[i]->shared->asleep, 0);
	}
	memset((void *)box->shm.status, 0, sizeof(*box->shm.status));
	for (e = 0; e < sb->engine_count; e++) {
		struct vg_event_out *out = sb->engines[e]->events;
		uint32_t want = atomic_load(&out->reset_request[box->index]);

		if (atomic_load_explicit(&out->reset_done[box->index],
					 memory_order_acquire) != want)
			done = false;
	}
	return done;
}

static void
request_ring_resets(struct vg_sandboxes *sb, struct vg_sandbox *box)
{
	unsigned int e;

	for (e = 0; e < sb->engine_count; e++)
		atomic_fetch_add_explicit(
			&sb->engines[e]->events->reset_request[box->index], 1,
			memory_order_release);
}

static void
on_restart_timer(uv_timer_t *timer)
{
	struct vg_sandbox *box = timer->data;
	struct vg_sandboxes *sb = box->process.data;

	if (box->stopping || box->running)
		return;
	/* Engine lcores reset their rings between bursts; wait for them. */
	if (!rings_reset(sb, box)) {
		uv_timer_start(&box->restart_timer, on_restart_timer, 10, 0);
		return;
	}
	spawn_sandbox(sb, box);
}

/* Logs the exit of a sandbox that vigild asked to stop with SIGTERM. */
static void
log_requested_exit(struct vg_sandboxes *sb, struct vg_sandbox *box, int pid,
		   int64_t exit_status, int term_signal, const char *why,
		   uint64_t restart_ms)
{
	uint64_t took = now_ms(sb) - box->stop_sent_ms;
	char restart[48] = "";

	if (!box->stopping)
		snprintf(restart, sizeof(restart), ", restarting in %" PRIu64 " ms",
			 restart_ms);
	if (exit_status == 0 && term_signal == 0)
		VG_INFO("sandbox", "sandbox=%u pid=%d exited status=0 for the %s, %" PRIu64 " ms after SIGTERM%s",
			box->index, pid, why, took, restart);
	else
		VG_WARN("sandbox", "sandbox=%u pid=%d exited status=%" PRId64 " signal=%d for the %s, %" PRIu64 " ms after SIGTERM%s",
			box->index, pid, exit_status, term_signal, why, took,
			restart);
}

static void
on_sandbox_exit(uv_process_t *process, int64_t exit_status, int term_signal)
{
	struct vg_sandboxes *sb = process->data;
	struct vg_sandbox *box = (struct vg_sandbox *)((char *)process -
		offsetof(struct vg_sandbox, process));
	uint64_t ran = now_ms(sb) - box->started_ms;
	bool reload = box->reloading;
	bool requested = box->stop_sent;
	bool loaded = atomic_load(&box->shm.status->ready) != 0;
	char plugin[VG_SANDBOX_NAME_LEN];
	int pid = process->pid;

	box->running = false;
	box->reloading = false;
	box->stop_sent = false;
	box->counters.exits++;
	uv_timer_stop(&box->stop_timer);
	uv_close((uv_handle_t *)process, NULL);
	vg_sandbox_drain_results(sb, box);
	if (box->stopping) {
		if (requested)
			log_requested_exit(sb, box, pid, exit_status,
					   term_signal, "stop", 0);
		uv_close((uv_handle_t *)&box->stop_timer, NULL);
		return;
	}

	/* Read before the ring resets clear the status block. */
	loading_plugin(box, plugin);
	/* The next process starts with no engaged alerts; the dead one's
	 * results were queued by the drain above. */
	vg_alert_store_unconfirm(sb->alert_store, box->index);
	request_ring_resets(sb, box);
	if (reload) {
		/* A reload is no failure: the back-off stays at its start. */
		log_requested_exit(sb, box, pid, exit_status, term_signal,
				   "reload", BACKOFF_MIN_MS);
		box->backoff_ms = BACKOFF_MIN_MS;
		uv_timer_start(&box->restart_timer, on_restart_timer,
			       BACKOFF_MIN_MS, 0);
		return;
	}
	if (loaded)
		box->same_plugin_loads = 0;
	else
		note_failed_load(box, plugin);
	VG_WARN("sandbox", "sandbox=%u pid=%d exited status=%" PRId64 " signal=%d after %" PRIu64 " ms, restarting in %" PRIu64 " ms",
		box->index, pid, exit_status, term_signal, ran,
		ran >= HEALTHY_MS ? (uint64_t)BACKOFF_MIN_MS : box->backoff_ms);
	if (ran >= HEALTHY_MS)
		box->backoff_ms = BACKOFF_MIN_MS;
	uv_timer_start(&box->restart_timer, on_restart_timer, box->backoff_ms,
		       0);
	box->backoff_ms = box->backoff_ms * 2 > BACKOFF_MAX_MS ?
				  BACKOFF_MAX_MS :
				  box->backoff_ms * 2;
}

/* Kills, with SIGKILL, a sandbox that has not exited since its SIGTERM. */
static void
on_stop_timer(uv_timer_t *timer)
{
	struct vg_sandbox *box = timer->data;
	struct vg_sandboxes *sb = box->process.data;

	if (!box->running)
		return;
	box->counters.teardown_kills++;
	VG_WARN("sandbox", "sandbox=%u pid=%d teardown did not finish in time: still running %" PRIu64 " ms after SIGTERM (limit 2 * deadline_ms + %u ms), killing it with SIGKILL (teardown_kills=%" PRIu64 ")",
		box->index, box->process.pid, now_ms(sb) - box->stop_sent_ms,
		RESPONSE_SLACK_MS, box->counters.teardown_kills);
	uv_process_kill(&box->process, SIGKILL);
}

/*
 * Sends SIGTERM to a running sandbox and starts the timer that kills it.
 * The sandbox then ends the batch it is in, within deadline_ms, and runs
 * its teardowns within the same time budget. So it gets twice
 * deadline_ms, and RESPONSE_SLACK_MS more, before SIGKILL.
 */
static void
request_stop(struct vg_sandboxes *sb, struct vg_sandbox *box)
{
	uint64_t limit = 2ULL * sb->cfg->sandbox_deadline_ms + RESPONSE_SLACK_MS;
	int rc;

	if (!box->running || box->stop_sent)
		return;
	box->stop_sent = true;
	box->stop_sent_ms = now_ms(sb);
	rc = uv_process_kill(&box->process, SIGTERM);
	if (rc != 0)
		VG_WARN("sandbox", "sandbox=%u pid=%d uv_process_kill(SIGTERM) failed: %s",
			box->index, box->process.pid, uv_strerror(rc));
	uv_timer_start(&box->stop_timer, on_stop_timer, limit, 0);
}

static void
spawn_sandbox(struct vg_sandboxes *sb, struct vg_sandbox *box)
{
	char shm_fd[16] = "3", wake_fd[16] = "4", notify_fd[16] = "5";
	char id[16], memory[16], budget[16], deadline[16];
	char dirs[VG_MAX_PLUGIN_DIRS * (VG_PATH_MAX + 1)] = "";
	static char disabled[VG_SANDBOX_DISABLED_MAX *
			     (VG_SANDBOX_NAME_LEN + 1)];
	const struct vg_config *cfg = sb->cfg;
	uv_process_options_t options;
	uv_stdio_container_t stdio[6];
	char *args[28];
	int argc = 0;
	unsigned int i;
	int rc;

	for (i = 0; i < cfg->plugin_dir_count; i++) {
		if (i > 0)
			strcat(dirs, ",");
		strcat(dirs, cfg->plugin_dirs[i]);
	}
	snprintf(id, sizeof(id), "%u", box->index);
	snprintf(memory, sizeof(memory), "%u", cfg->sandbox_memory_mb);
	snprintf(budget, sizeof(budget), "%u", cfg->hook_budget_ms);
	snprintf(deadline, sizeof(deadline), "%u", cfg->sandbox_deadline_ms);
	args[argc++] = sb->sandbox_path;
	args[argc++] = "--shm-fd";
	args[argc++] = shm_fd;
	args[argc++] = "--wake-fd";
	args[argc++] = wake_fd;
	args[argc++] = "--notify-fd";
	args[argc++] = notify_fd;
	args[argc++] = "--plugins";
	args[argc++] = dirs;
	args[argc++] = "--id";
	args[argc++] = id;
	args[argc++] = "--user";
	args[argc++] = (char *)cfg->sandbox_user;
	args[argc++] = "--memory-mb";
	args[argc++] = memory;
	args[argc++] = "--hook-budget-ms";
	args[argc++] = budget;
	args[argc++] = "--deadline-ms";
	args[argc++] = deadline;
	if (sb->config_path != NULL) {
		args[argc++] = "--config";
		args[argc++] = (char *)sb->config_path;
	}
	if (box->disabled_count > 0) {
		disabled[0] = '\0';
		for (i = 0; i < box->disabled_count; i++) {
			if (i > 0)
				strcat(disabled, ",");
			strcat(disabled, box->disabled[i]);
		}
		args[argc++] = "--disable";
		args[argc++] = disabled;
	}
	args[argc] = NULL;

	memset(&options, 0, sizeof(options));
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = 2;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = box->shm.fd;
	stdio[4].flags = UV_INHERIT_FD;
	stdio[4].data.fd = box->wake_fd;
	stdio[5].flags = UV_INHERIT_FD;
	stdio[5].data.fd = box->notify_fd;
	options.file = sb->sandbox_path;
	options.args = args;
	options.exit_cb = on_sandbox_exit;
	options.stdio = stdio;
	options.stdio_count = 6;
	/*
	 * A session of its own keeps the terminal's Ctrl-C away from the
	 * sandbox: vigild stops it with SIGTERM once the flows are flushed.
	 */
	options.flags = UV_PROCESS_DETACHED;

	box->process.data = sb;
	rc = uv_spawn(sb->loop, &box->process, &options);
	if (rc != 0) {
		VG_ERR("sandbox", "sandbox=%u path=%s uv_spawn() failed: %s",
		       box->index, sb->sandbox_path, uv_strerror(rc));
		uv_close((uv_handle_t *)&box->process, NULL);
		uv_timer_start(&box->restart_timer, on_restart_timer,
			       BACKOFF_MAX_MS, 0);
		return;
	}
	box->running = true;
	box->started_ms = now_ms(sb);
	box->kill_sent = false;
	box->seen_batches = 0;
	box->active_ms = box->started_ms;
	box->heartbeat_ms = 0;
	box->hooks_skipped_before = box->counters.hooks_skipped;
	box->counters.starts++;
	/* The new process numbers its scripts anew and describes them once it
	 * has loaded them: forget those of the previous one. */
	box->script_count = 0;
	box->loaded_count = 0;
	VG_INFO("sandbox", "sandbox=%u started pid=%d plugins=%s", box->index,
		box->process.pid, dirs);
}

/* vigil-sandbox sits beside vigild: build/engine/../sandbox, or bindir. */
int
vg_sandbox_find_program(const struct vg_config *cfg, const char *argv0,
			char *path, size_t path_len, char *problem,
			size_t problem_len)
{
	char self[VG_PATH_MAX];
	char *slash;
	ssize_t n;

	if (cfg->sandbox_path[0] != '\0') {
		snprintf(path, path_len, "%s", cfg->sandbox_path);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		snprintf(self, sizeof(self), "%s", argv0);
		n = (ssize_t)strlen(self);
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash != NULL)
		*slash = '\0';
	snprintf(path, path_len, "%.4000s/../sandbox/vigil-sandbox", self);
	if (access(path, X_OK) == 0)
		return 0;
	snprintf(path, path_len, "%.4000s/vigil-sandbox", self);
	if (access(path, X_OK) == 0)
		return 0;
	snprintf(problem, problem_len,
		 "vigil-sandbox not found beside %s; set plugins.sandbox_path",
		 self);
	return -ENOENT;
}

static int
find_sandbox(struct vg_sandboxes *sb, const char *argv0)
{
	char problem[VG_PATH_MAX + 64];
	int rc;

	rc = vg_sandbox_find_program(sb->cfg, argv0, sb->sandbox_path,
				     sizeof(sb->sandbox_path), problem,
				     sizeof(problem));
	if (rc != 0)
		VG_ERR("sandbox", "%s", problem);
	return rc;
}

static int
setup_sandbox(struct vg_sandboxes *sb, struct vg_sandbox *box)
{
	unsigned int e;
	int rc;

	rc = vg_sandbox_shm_create(&box->shm, sb->engine_count,
				   EVENT_RING_BYTES, RESULT_RING_BYTES);
	if (rc != 0) {
		VG_ERR("sandbox", "sandbox=%u shared memory setup failed: %s",
		       box->index, strerror(-rc));
		return rc;
	}
	box->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	box->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (box->wake_fd < 0 || box->notify_fd < 0) {
		VG_ERR("sandbox", "sandbox=%u eventfd() failed: %s", box->index,
		       strerror(errno));
		return -errno;
	}
	for (e = 0; e < sb->engine_count; e++) {
		struct vg_event_out *out = sb->engines[e]->events;

		out->rings[box->index] =
			*vg_sandbox_shm_engine_ring(&box->shm, e);
		out->wake_fd[box->index] = box->wake_fd;
		out->status[box->index] = box->shm.status;
		out->results_applied[box->index] = &box->results_applied;
	}
	box->backoff_ms = BACKOFF_MIN_MS;
	box->script_plugins = calloc(VG_SANDBOX_SCRIPTS_MAX,
				     sizeof(*box->script_plugins));
	box->scripts = calloc(VG_SANDBOX_SCRIPTS_MAX, sizeof(*box->scripts));
	box->loaded_plugins = calloc(VG_SANDBOX_SCRIPTS_MAX,
				     sizeof(*box->loaded_plugins));
	if (box->script_plugins == NULL || box->scripts == NULL ||
	    box->loaded_plugins == NULL)
		return -ENOMEM;
	uv_poll_init(sb->loop, &box->notify_poll, box->notify_fd);
	box->notify_poll.data = box;
	box->process.data = sb;
	uv_poll_start(&box->notify_poll, UV_READABLE, vg_sandbox_on_notify);
	uv_timer_init(sb->loop, &box->restart_timer);
	box->restart_timer.data = box;
	uv_timer_init(sb->loop, &box->stop_timer);
	box->stop_timer.data = box;
	return 0;
}

int
vg_sandboxes_start(struct vg_sandboxes *sb, const struct vg_config *cfg,
		   const char *config_path, const char *argv0, uv_loop_t *loop,
		   struct vg_engine_lcore **engines, unsigned int engine_count)
{
	unsigned int i;
	int rc;

	memset(sb, 0, sizeof(*sb));
	sb->cfg = cfg;
	sb->config_path = config_path;
	sb->loop = loop;
	sb->engines = engines;
	sb->engine_count = engine_count;
	sb->count = cfg->sandboxes;
	rc = find_sandbox(sb, argv0);
	if (rc != 0)
		return rc;
	sb->result_buf = malloc(RESULT_RING_BYTES);
	if (sb->result_buf == NULL)
		return -ENOMEM;
	for (i = 0; i < sb->count; i++) {
		sb->sandboxes[i].index = i;
		rc = setup_sandbox(sb, &sb->sandboxes[i]);
		if (rc != 0)
			return rc;
	}
	for (i = 0; i < sb->count; i++)
		spawn_sandbox(sb, &sb->sandboxes[i]);
	return 0;
}

void
vg_sandboxes_poll(struct vg_sandboxes *sb)
{
	unsigned int i;

	for (i = 0; i < sb->count; i++)
		vg_sandbox_drain_results(sb, &sb->sandboxes[i]);
	if (sb->alerts != NULL)
		fflush(sb->alerts);
}

/*
 * Writes the name of script number <script> (1-based) as the sandbox
 * described it: "plugin=P script=KEY file=PATH (number N)".
 */
static void
name_script(const struct vg_sandbox *box, uint32_t script, char *out,
	    size_t len)
{
	const struct vg_sandbox_script *s;

	if (script == 0) {
		snprintf(out, len, "no hook (script number 0)");
		return;
	}
	if (script > box->script_count || box->scripts == NULL ||
	    box->script_plugins == NULL ||
	    box->scripts[script - 1].key[0] == '\0') {
		snprintf(out, len, "script number %u, which the sandbox did not describe",
			 script);
		return;
	}
	s = &box->scripts[script - 1];
	snprintf(out, len, "plugin=%s script=%s file=%s (number %u)",
		 box->script_plugins[script - 1], s->key,
		 s->file != NULL ? s->file : "-", script);
}

/*
 * Adds <plugin> to the plugins that restarts of <box> leave out. Returns
 * false when it is there already, or the list is full.
 */
static bool
add_disabled(struct vg_sandbox *box, const char *plugin)
{
	unsigned int i;

	for (i = 0; i < box->disabled_count; i++) {
		if (strcmp(box->disabled[i], plugin) == 0)
			return false;
	}
	if (box->disabled_count == VG_SANDBOX_DISABLED_MAX || plugin[0] == '\0')
		return false;
	snprintf(box->disabled[box->disabled_count++], VG_SANDBOX_NAME_LEN,
		 "%s", plugin);
	box->counters.plugins_disabled++;
	return true;
}

/*
 * Restarts of <box> leave out the plugin of <script> (1-based), which has
 * overrun the deadline KILLS_BEFORE_DISABLE times in a row.
 */
static void
disable_plugin(struct vg_sandbox *box, uint32_t script)
{
	const char *plugin;
	char name[VG_PATH_MAX + 3 * VG_SANDBOX_NAME_LEN];

	name_script(box, script, name, sizeof(name));
	if (script == 0 || script > box->script_count ||
	    box->script_plugins == NULL) {
		VG_ERR("sandbox", "sandbox=%u %s overran deadline_ms %u times in a row; its plugin is unknown, so it stays enabled",
		       box->index, name, KILLS_BEFORE_DISABLE);
		return;
	}
	plugin = box->script_plugins[script - 1];
	if (add_disabled(box, plugin))
		VG_ERR("sandbox", "sandbox=%u plugin=%s disabled: %s overran deadline_ms %u times in a row",
		       box->index, plugin, name, KILLS_BEFORE_DISABLE);
}

/*
 * Copies the plugin <box> names in its status block as the one it was
 * loading into <out>, or "" when it names none. The sandbox wrote it, so
 * a name with control bytes, spaces or commas (which would split the
 * --disable list) is taken as none.
 */
static void
loading_plugin(const struct vg_sandbox *box, char out[VG_SANDBOX_NAME_LEN])
{
	size_t i;

	_Static_assert(VG_SANDBOX_LOADING_LEN <= VG_SANDBOX_NAME_LEN,
		       "a loading name must fit a disabled name");
	memcpy(out, box->shm.status->loading, VG_SANDBOX_LOADING_LEN);
	out[VG_SANDBOX_LOADING_LEN - 1] = '\0';
	for (i = 0; out[i] != '\0'; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c <= ' ' || c == ',' || c == 0x7f) {
			out[0] = '\0';
			return;
		}
	}
}

/*
 * Counts a run of <box> that ended before it had loaded its plugins,
 * while it ran the code of <plugin> ("" when unknown). The plugin is left
 * out of later starts once KILLS_BEFORE_DISABLE such runs in a row ended
 * in it, because otherwise it would keep every plugin of the sandbox
 * from running.
 */
static void
note_failed_load(struct vg_sandbox *box, const char *plugin)
{
	if (plugin[0] == '\0') {
		box->same_plugin_loads = 0;
		return;
	}
	if (strcmp(plugin, box->load_plugin) == 0) {
		box->same_plugin_loads++;
	} else {
		snprintf(box->load_plugin, sizeof(box->load_plugin), "%s",
			 plugin);
		box->same_plugin_loads = 1;
	}
	if (box->same_plugin_loads == KILLS_BEFORE_DISABLE &&
	    add_disabled(box, plugin))
		VG_ERR("sandbox", "sandbox=%u plugin=%s disabled: the sandbox ended %u times in a row in this plugin's files or setup(), before it had loaded its plugins",
		       box->index, plugin, KILLS_BEFORE_DISABLE);
}

/* Kills <box> when the batch it runs started deadline_ms or more ago. */
static void
check_deadline(struct vg_sandboxes *sb, struct vg_sandbox *box,
	       uint64_t now_ns)
{
	uint64_t deadline_ns = (uint64_t)sb->cfg->sandbox_deadline_ms * 1000000;
	uint64_t start = atomic_load(&box->shm.status->batch_start_ns);
	char name[VG_PATH_MAX + 3 * VG_SANDBOX_NAME_LEN];
	uint32_t script;

	if (start == 0 || now_ns < start || now_ns - start < deadline_ns)
		return;
	script = atomic_load(&box->shm.status->script);
	box->counters.deadline_kills++;
	box->same_script_kills =
		script == box->last_script ? box->same_script_kills + 1 : 1;
	box->last_script = script;
	name_script(box, script, name, sizeof(name));
	VG_WARN("sandbox", "sandbox=%u pid=%d batch ran past deadline_ms=%u in %s: killing it (kills=%" PRIu64 ")",
		box->index, box->process.pid, sb->cfg->sandbox_deadline_ms,
		name, box->counters.deadline_kills);
	if (box->same_script_kills == KILLS_BEFORE_DISABLE)
		disable_plugin(box, script);
	box->kill_sent = true;
	uv_process_kill(&box->process, SIGKILL);
}

/* Queues a heartbeat, an EventBatch with nothing but its seq, for <box>. */
static void
send_heartbeat(struct vg_sandbox *box)
{
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	struct vg_shm_ring_ref *ring = vg_sandbox_shm_control_ring(&box->shm);
	uint8_t buf[32];
	size_t len;

	batch.version = VIGIL__V1__SCHEMA_VERSION__SCHEMA_VERSION_1;
	batch.seq = ++box->control_seq;
	len = vigil__v1__event_batch__pack(&batch, buf);
	/* A full ring means batches are waiting: their progress counts. */
	if (vg_shm_ring_put(ring, buf, (uint32_t)len) == 0)
		vg_shm_ring_wake(ring, box->wake_fd);
}

/*
 * Returns the state of process <pid> from /proc/<pid>/stat: 'R' running,
 * 'S' sleeping, 'D' in uninterruptible sleep, 'T' stopped, 't' stopped by
 * a debugger, 'Z' zombie; '?' when it cannot be read.
 */
static char
process_state(int pid)
{
	char path[64];
	char buf[512];
	const char *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may itself contain spaces and ')'. */
	paren = strrchr(buf, ')');
	if (paren == NULL || paren[1] != ' ' || paren[2] == '\0')
		return '?';
	return paren[2];
}

static const char *
process_state_name(char state)
{
	switch (state) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "in uninterruptible sleep";
	case 'T':
		return "stopped";
	case 't':
		return "stopped by a debugger";
	case 'Z':
		return "zombie";
	default:
		return "unknown";
	}
}

/*
 * Kills a sandbox that has not set its ready flag plugins.load_timeout_ms
 * after its start. Such a sandbox was stopped by SIGSTOP or is stuck in
 * its plugins, for example in one long C call that the load budget of
 * each file cannot interrupt. Returns true when the sandbox is still
 * loading.
 */
static bool
check_loading(struct vg_sandboxes *sb, struct vg_sandbox *box, uint64_t now)
{
	uint32_t limit = sb->cfg->sandbox_load_timeout_ms;
	char plugin[VG_SANDBOX_NAME_LEN];
	char state;

	if (atomic_load(&box->shm.status->ready))
		return false;
	if (box->stop_sent || now - box->started_ms < limit)
		return true;
	state = process_state(box->process.pid);
	loading_plugin(box, plugin);
	box->counters.load_kills++;
	VG_WARN("sandbox", "sandbox=%u pid=%d has not finished loading its plugins %" PRIu64 " ms after its start (limit plugins.load_timeout_ms=%u), process state=%c (%s), loading plugin=%s: killing it (load_kills=%" PRIu64 ")",
		box->index, box->process.pid, now - box->started_ms, limit,
		state, process_state_name(state),
		plugin[0] != '\0' ? plugin : "-", box->counters.load_kills);
	box->kill_sent = true;
	uv_process_kill(&box->process, SIGKILL);
	return true;
}

/*
 * Watches a sandbox between batches (see the top of this file). A
 * sandbox still loading its plugins is watched by check_loading().
 */
static void
check_heartbeat(struct vg_sandboxes *sb, struct vg_sandbox *box,
		uint64_t now)
{
	uint64_t limit = sb->cfg->sandbox_deadline_ms + RESPONSE_SLACK_MS;
	uint64_t batches = atomic_load(&box->shm.status->batches);
	char state;

	if (box->stop_sent)
		return;
	if (!atomic_load(&box->shm.status->ready) ||
	    atomic_load(&box->shm.status->batch_start_ns) != 0 ||
	    batches != box->seen_batches) {
		box->seen_batches = batches;
		box->active_ms = now;
		box->heartbeat_ms = 0;
		return;
	}
	if (box->heartbeat_ms == 0) {
		if (now - box->active_ms >= HEARTBEAT_MS) {
			send_heartbeat(box);
			box->heartbeat_ms = now;
		}
		return;
	}
	if (now - box->heartbeat_ms < limit)
		return;
	state = process_state(box->process.pid);
	box->counters.heartbeat_kills++;
	VG_WARN("sandbox", "sandbox=%u pid=%d left a heartbeat unhandled for %" PRIu64 " ms (limit deadline_ms + %u ms) while idle, process state=%c (%s): killing it (heartbeat_kills=%" PRIu64 ")",
		box->index, box->process.pid, now - box->heartbeat_ms,
		RESPONSE_SLACK_MS, state, process_state_name(state),
		box->counters.heartbeat_kills);
	box->kill_sent = true;
	uv_process_kill(&box->process, SIGKILL);
}

void
vg_sandboxes_tick(struct vg_sandboxes *sb)
{
	uint64_t now_ns = vg_events_now_ns();
	uint64_t now = now_ms(sb);
	unsigned int i;

	vg_sandboxes_poll(sb);
	for (i = 0; i < sb->count; i++) {
		struct vg_sandbox *box = &sb->sandboxes[i];

		if (!box->running || box->kill_sent)
			continue;
		if (check_loading(sb, box, now)) {
			/* Idle time counts from the end of loading. */
			box->active_ms = now;
			box->heartbeat_ms = 0;
			continue;
		}
		check_deadline(sb, box, now_ns);
		if (!box->kill_sent)
			check_heartbeat(sb, box, now);
	}
}

bool
vg_sandboxes_settled(struct vg_sandboxes *sb)
{
	unsigned int i;
	unsigned int e;

	for (i = 0; i < sb->count; i++) {
		struct vg_sandbox *box = &sb->sandboxes[i];

		if (!box->running)
			continue;
		if (atomic_load(&box->shm.status->batch_start_ns) != 0)
			return false;
		if (!vg_shm_ring_empty(vg_sandbox_shm_control_ring(&box->shm)) ||
		    !vg_shm_ring_empty(vg_sandbox_shm_result_ring(&box->shm)))
			return false;
		for (e = 0; e < sb->engine_count; e++) {
			if (!vg_shm_ring_empty(
				    vg_sandbox_shm_engine_ring(&box->shm, e)))
				return false;
		}
	}
	for (e = 0; e < sb->engine_count; e++) {
		if (rte_ring_count(sb->engines[e]->statuses) != 0)
			return false;
	}
	return true;
}

/*
 * Checks the configuration file that restarted sandboxes read again, as
 * a start of vigild would. Returns 0, or a negative errno with the
 * problem in <err>. NOTE: only reloads are checked. A sandbox restarted
 * after a crash reads the file as it is then, and runs its scripts with
 * default settings when the file no longer loads.
 */
static int
check_config_file(const struct vg_sandboxes *sb, char *err, size_t err_len)
{
	struct vg_config *cfg;
	int rc;

	if (sb->config_path == NULL)
		return 0;
	cfg = malloc(sizeof(*cfg));
	if (cfg == NULL) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	rc = vg_config_load(cfg, sb->config_path, err, err_len);
	free(cfg);
	return rc;
}

int
vg_sandboxes_reload(struct vg_sandboxes *sb, char *err, size_t err_len)
{
	unsigned int i;
	int rc;

	rc = check_config_file(sb, err, err_len);
	if (rc != 0) {
		VG_ERR("sandbox", "reload refused: %s; the sandboxes go on with the settings they loaded",
		       err);
		return rc;
	}
	VG_INFO("sandbox", "reloading plugins: stopping %u sandboxes with SIGTERM and starting them again",
		sb->count);
	for (i = 0; i < sb->count; i++) {
		struct vg_sandbox *box = &sb->sandboxes[i];

		box->backoff_ms = BACKOFF_MIN_MS;
		/* The operator may have fixed the plugins it disabled. */
		box->disabled_count = 0;
		box->same_script_kills = 0;
		box->same_plugin_loads = 0;
		if (box->running) {
			box->reloading = true;
			request_stop(sb, box);
		}
	}
	return 0;
}

void
vg_sandboxes_stop(struct vg_sandboxes *sb)
{
	unsigned int i;

	for (i = 0; i < sb->count; i++) {
		struct vg_sandbox *box = &sb->sandboxes[i];

		box->stopping = true;
		vg_sandbox_drain_results(sb, box);
		/* The exit callback closes the stop timer of a running one. */
		if (box->running)
			request_stop(sb, box);
		else
			uv_close((uv_handle_t *)&box->stop_timer, NULL);
		uv_timer_stop(&box->restart_timer);
		uv_close((uv_handle_t *)&box->restart_timer, NULL);
		uv_poll_stop(&box->notify_poll);
		uv_close((uv_handle_t *)&box->notify_poll, NULL);
	}
	if (sb->alerts != NULL) {
		fclose(sb->alerts);
		sb->alerts = NULL;
	}
	vg_alert_details_close(sb->details);
	sb->details = NULL;
}

void
vg_sandboxes_counters(const struct vg_sandboxes *sb,
		      struct vg_sandbox_counters *total)
{
	unsigned int i;

	memset(total, 0, sizeof(*total));
	for (i = 0; i < sb->count; i++) {
		const struct vg_sandbox_counters *c =
			&sb->sandboxes[i].counters;

		total->starts += c->starts;
		total->exits += c->exits;
		total->deadline_kills += c->deadline_kills;
		total->heartbeat_kills += c->heartbeat_kills;
		total->load_kills += c->load_kills;
		total->teardown_kills += c->teardown_kills;
		total->hooks_skipped += c->hooks_skipped;
		total->result_batches += c->result_batches;
		total->result_bad += c->result_bad;
		total->statuses += c->statuses;
		total->statuses_dropped += c->statuses_dropped;
		total->alerts_triggered += c->alerts_triggered;
		total->alerts_released += c->alerts_released;
		total->details_wrapped += c->details_wrapped;
		total->ts_points += c->ts_points;
		total->plugin_errors += c->plugin_errors;
		total->events_seen += c->events_seen;
		total->events_lost += c->events_lost;
		total->control_dropped += c->control_dropped;
		total->plugins_disabled += c->plugins_disabled;
	}
}
