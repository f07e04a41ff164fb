/*
 * vigil-sandbox: the process that runs plugins for vigild.
 *
 * Start-up reads and compiles every plugin file and the configuration,
 * then isolates the process (isolate.c). Only then does it set the ready
 * flag in the shared status block and take its first batch. Plugin code
 * that runs at load time is confined by the Lua environment and the
 * early rlimits only. The main loop takes whole EventBatch messages from the
 * engine rings and the control ring in turn, runs the hooks they call
 * for, and puts one ResultBatch per batch that produced anything on the
 * result ring. With nothing to read it announces on every input ring that
 * it will sleep and waits on the wake eventfd, for at most a second so a
 * lost wake-up costs a second, not a hang. vigild's heartbeats are empty
 * batches on the control ring and are handled like any other.
 *
 * SIGTERM ends the loop after the batch being run. The scripts'
 * teardown() functions then run within a batch's time budget, their
 * results are sent, and the process exits 0.
 *
 * vigild reloads plugins or configuration by restarting the process. The
 * sandbox never reads a file after start-up, and could not once the
 * seccomp filter is on.
 *
 * --check loads and validates the plugins and the configuration without
 * shared memory or isolation, printing one line per plugin loaded and one
 * per error, for operators. --check-config loads them the same way and
 * prints only the problems, marked as errors of the configuration or as
 * warnings, for `vigild --check-config`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sandbox_shm.h"
#include "sandbox/isolate.h"
#include "sandbox/page.h"
#include "sandbox/results.h"
#include "sandbox/sandbox.h"

#define EXIT_USAGE 2
#define EXIT_FATAL 3
#define MESSAGES_PER_TURN 64
#define SLEEP_MS 1000
#define INITIAL_BUF (64u * 1024u)

struct args {
	int shm_fd;
	int wake_fd;
	int notify_fd;
	const char *plugins;
	const char *user;
	unsigned int id;
	bool id_given;
	bool check;
	bool check_config;
	bool page;
	struct vg_sbx_options opt;
};

static volatile sig_atomic_t stop_requested;

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: vigil-sandbox --shm-fd N --wake-fd N --notify-fd N "
		"--plugins DIR[,DIR...] [options]\n"
		"       vigil-sandbox --check --plugins DIR[,DIR...] "
		"[--config FILE]\n"
		"       vigil-sandbox --check-config FILE --plugins DIR[,DIR...]\n"
		"       vigil-sandbox --page --plugins DIR[,DIR...] "
		"< REQUEST.json\n"
		"\n"
		"  --shm-fd N            memfd of the shared region vigild "
		"created\n"
		"  --wake-fd N           eventfd vigild writes to wake the "
		"sandbox\n"
		"  --notify-fd N         eventfd the sandbox writes when "
		"results arrive\n"
		"  --plugins DIR,...     folders holding <group>/<plugin>/\n"
		"  --config FILE         vigil's YAML; only plugins.scripts is "
		"read\n"
		"  --id K                sandbox number, shown in log lines\n"
		"  --user NAME           user to run as when started as root "
		"(default nobody)\n"
		"  --memory-mb M         address space allowed after start-up, "
		"MiB (default 256)\n"
		"  --disable P,...       plugins not to load\n"
		"  --jit P,...|all       plugins run with the JIT on; their "
		"loops escape the hook budget\n"
		"  --hook-budget-ms MS   time one hook call may run (default "
		"100)\n"
		"  --deadline-ms MS      vigild's plugins.deadline_ms: a batch "
		"starts hooks only\n"
		"                        while it has time left before it "
		"(default: no limit)\n"
		"  --check               load and validate, print one line per "
		"plugin and per error\n"
		"  --check-config FILE   check plugins.scripts of FILE against "
		"the plugins: print\n"
		"                        \"error: \" or \"warning: \" and each "
		"problem, exit 1 on errors\n"
		"  --plugin-dirs-missing with --check-config: some plugin "
		"directories cannot be\n"
		"                        read, so a script no loaded plugin "
		"defines is a warning\n"
		"  --page                render one plugin page (or list the "
		"menu) for vigil-web:\n"
		"                        a JSON request on stdin, the page as "
		"JSON on stdout\n");
}

static int
parse_uint(const char *text, unsigned int min, unsigned int max,
	   unsigned int *out)
{
	char *end;
	unsigned long v;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* Splits "a,b,c" into a NULL-terminated array in one allocation. */
static int
split_list(const char *text, char ***out, size_t *n_out)
{
	size_t commas = 0;
	size_t len = strlen(text);
	const char *p;
	char **items;
	char *copy;
	char *save = NULL;
	char *tok;
	size_t n = 0;

	for (p = text; *p; p++)
		commas += *p == ',';
	items = malloc((commas + 2) * sizeof(*items) + len + 1);
	if (items == NULL)
		return -ENOMEM;
	copy = (char *)(items + commas + 2);
	memcpy(copy, text, len + 1);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save))
		items[n++] = tok;
	items[n] = NULL;
	*out = items;
	*n_out = n;
	return 0;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	enum {
		O_SHM = 256, O_WAKE, O_NOTIFY, O_PLUGINS, O_CONFIG, O_ID,
		O_USER, O_MEMORY, O_DISABLE, O_JIT, O_BUDGET, O_CHECK, O_HELP, O_PAGE,
		O_CHECK_CONFIG, O_DIRS_MISSING, O_DEADLINE,
	};
	static const struct option options[] = {
		{ "shm-fd", required_argument, NULL, O_SHM },
		{ "wake-fd", required_argument, NULL, O_WAKE },
		{ "notify-fd", required_argument, NULL, O_NOTIFY },
		{ "plugins", required_argument, NULL, O_PLUGINS },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "id", required_argument, NULL, O_ID },
		{ "user", required_argument, NULL, O_USER },
		{ "memory-mb", required_argument, NULL, O_MEMORY },
		{ "disable", required_argument, NULL, O_DISABLE },
		{ "jit", required_argument, NULL, O_JIT },
		{ "hook-budget-ms", required_argument, NULL, O_BUDGET },
		{ "check", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, O_HELP },
		{ "page", no_argument, NULL, O_PAGE },
		{ "check-config", required_argument, NULL, O_CHECK_CONFIG },
		{ "plugin-dirs-missing", no_argument, NULL, O_DIRS_MISSING },
		{ "deadline-ms", required_argument, NULL, O_DEADLINE },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int fd;
	int c;

	memset(a, 0, sizeof(*a));
	a->shm_fd = a->wake_fd = a->notify_fd = -1;
	a->user = "nobody";
	a->opt.memory_mb = 256;
	a->opt.hook_budget_ms = 100;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		const char *bad = NULL;

		switch (c) {
		case O_SHM:
		case O_WAKE:
		case O_NOTIFY:
			if (parse_uint(optarg, 0, INT_MAX, &fd) != 0) {
				bad = "a descriptor number";
				break;
			}
			*(c == O_SHM ? &a->shm_fd :
			  c == O_WAKE ? &a->wake_fd : &a->notify_fd) = (int)fd;
			break;
		case O_PLUGINS:
			a->plugins = optarg;
			break;
		case O_CONFIG:
			a->opt.config_file = optarg;
			break;
		case O_ID:
			if (parse_uint(optarg, 0, 65535, &a->id) != 0)
				bad = "an integer 0..65535";
			a->id_given = true;
			break;
		case O_USER:
			a->user = optarg;
			break;
		case O_MEMORY:
			if (parse_uint(optarg, 32, 1u << 20,
				       &a->opt.memory_mb) != 0)
				bad = "MiB, 32..1048576";
			break;
		case O_DISABLE:
			free(a->opt.disable);
			if (split_list(optarg, &a->opt.disable,
				       &a->opt.n_disable) != 0)
				return -1;
			break;
		case O_JIT:
			free(a->opt.jit);
			if (split_list(optarg, &a->opt.jit, &a->opt.n_jit) != 0)
				return -1;
			break;
		case O_BUDGET:
			if (parse_uint(optarg, 1, 3600000,
				       &a->opt.hook_budget_ms) != 0)
				bad = "milliseconds, 1..3600000";
			break;
		case O_DEADLINE:
			if (parse_uint(optarg, 1, 3600000,
				       &a->opt.deadline_ms) != 0)
				bad = "milliseconds, 1..3600000";
			break;
		case O_CHECK:
			a->check = true;
			break;
		case O_PAGE:
			a->page = true;
			break;
		case O_CHECK_CONFIG:
			a->check_config = true;
			a->opt.config_file = optarg;
			break;
		case O_DIRS_MISSING:
			a->opt.plugin_dirs_missing = true;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (bad != NULL) {
			fprintf(stderr, "vigil-sandbox: invalid value '%s' for "
				"--%s: expected %s\n", optarg,
				options[c - O_SHM].name, bad);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigil-sandbox: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (a->plugins == NULL) {
		fprintf(stderr, "vigil-sandbox: --plugins is required\n");
		return -1;
	}
	if (a->check_config && (a->check || a->page)) {
		fprintf(stderr, "vigil-sandbox: --check-config cannot be "
			"combined with --check or --page\n");
		return -1;
	}
	if (a->opt.plugin_dirs_missing && !a->check_config) {
		fprintf(stderr,
			"vigil-sandbox: --plugin-dirs-missing needs --check-config\n");
		return -1;
	}
	if (!a->check && !a->check_config && !a->page &&
	    (a->shm_fd < 0 || a->wake_fd < 0 || a->notify_fd < 0)) {
		fprintf(stderr, "vigil-sandbox: --shm-fd, --wake-fd and "
			"--notify-fd are required (or use --check)\n");
		return -1;
	}
	return 0;
}

static void
report_stdout(struct vg_sbx *sbx, const char *line)
{
	(void)sbx;
	printf("%s\n", line);
}

static void
report_log(struct vg_sbx *sbx, const char *line)
{
	(void)sbx;
	VG_WARN(VG_SBX_TAG, "%s", line);
}

static int
run_check(struct args *a)
{
	struct vg_sbx sbx = { .opt = a->opt, .report = report_stdout };
	size_t i;
	int rc;

	rc = vg_sbx_load(&sbx, a->plugins);
	if (rc < 0) {
		fprintf(stderr, "vigil-sandbox: loading plugins failed: %s\n",
			strerror(-rc));
		vg_sbx_free(&sbx);
		return EXIT_FATAL;
	}
	for (i = 0; i < sbx.n_plugins; i++) {
		const struct vg_sbx_plugin *p = sbx.plugins[i];

		if (!p->loaded)
			continue;
		printf("loaded %s: %zu scripts, %zu alerts, %zu statuses, "
		       "%zu schemas (%s)\n", p->name, p->n_scripts,
		       p->n_alerts, p->n_statuses, p->n_schemas, p->dir);
	}
	fflush(stdout);
	rc = sbx.n_load_errors ? 1 : 0;
	vg_sbx_free(&sbx);
	return rc;
}

/* Prints a load error as a warning, because a start logs it and goes on. */
static void
report_warning(struct vg_sbx *sbx, const char *line)
{
	(void)sbx;
	printf("warning: %s\n", line);
}

static unsigned int config_errors; /* counted by report_config() */

static void
report_config(struct vg_sbx *sbx, bool error, const char *line)
{
	(void)sbx;
	printf("%s: %s\n", error ? "error" : "warning", line);
	if (error)
		config_errors++;
}

/*
 * Runs --check-config: loads the plugins as a start does, with the same
 * early limits, and checks plugins.scripts against them. Returns 0 when
 * the configuration has no error, 1 when it has some.
 */
static int
run_check_config(struct args *a)
{
	struct vg_sbx sbx = { .opt = a->opt, .report = report_warning,
			      .config_report = report_config };
	int rc;

	/* stdout carries the findings; logs would repeat them. */
	vg_log_set_level(VG_LOG_ERR);
	if (vg_sbx_isolate_early() != 0)
		return EXIT_FATAL;
	rc = vg_sbx_load(&sbx, a->plugins);
	if (rc < 0) {
		fprintf(stderr, "vigil-sandbox: loading plugins failed: %s\n",
			strerror(-rc));
		vg_sbx_free(&sbx);
		return EXIT_FATAL;
	}
	fflush(stdout);
	vg_sbx_free(&sbx);
	return config_errors > 0 ? 1 : 0;
}

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/*
 * Decoded batches live in an arena reset after each batch: protobuf-c
 * otherwise allocates and frees every string and sub-message, which
 * showed as a sixth of the time per event in profiles.
 */
struct arena {
	uint8_t *base;
	size_t used;
	size_t size;
	struct arena_block *overflow; /* blocks past <size>, freed at reset */
	size_t overflow_bytes;        /* grows <size> at the next reset */
};

struct arena_block {
	struct arena_block *next;
	_Alignas(16) uint8_t data[];
};

static void *
arena_alloc(void *data, size_t len)
{
	struct arena *a = data;
	struct arena_block *block;

	len = (len + 15) & ~(size_t)15;
	if (a->size - a->used >= len) {
		void *p = a->base + a->used;

		a->used += len;
		return p;
	}
	block = malloc(sizeof(*block) + len);
	if (block == NULL)
		return NULL;
	block->next = a->overflow;
	a->overflow = block;
	a->overflow_bytes += len;
	return block->data;
}

static void
arena_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

/* Frees overflow blocks and grows the main block to fit them next time. */
static void
arena_reset(struct arena *a)
{
	while (a->overflow != NULL) {
		struct arena_block *next = a->overflow->next;

		free(a->overflow);
		a->overflow = next;
	}
	if (a->overflow_bytes > 0) {
		size_t size = a->size + a->overflow_bytes;
		uint8_t *base = malloc(size);

		if (base != NULL) {
			free(a->base);
			a->base = base;
			a->size = size;
		}
		a->overflow_bytes = 0;
	}
	a->used = 0;
}

struct loop {
	struct vg_sbx *sbx;
	struct arena arena;
	ProtobufCAllocator allocator;
	struct vg_sandbox_shm *shm;
	int wake_fd;
	uint8_t *buf;
	size_t cap;
	unsigned int inputs;   /* engine rings + control ring */
};

static void
handle_batch(struct loop *lp, unsigned int r, const uint8_t *msg,
	     size_t len)
{
	struct vg_sandbox_status *st = lp->shm->status;
	struct vg_sbx *sbx = lp->sbx;
	Vigil__V1__EventBatch *batch;
	char text[128];
	uint64_t events = 0;
	uint64_t seq = 0;

	atomic_store(&st->batch_start_ns, vg_sbx_now_ns());
	batch = vigil__v1__event_batch__unpack(&lp->allocator, len, msg);
	if (batch == NULL) {
		snprintf(text, sizeof(text), "invalid event batch: %zu bytes "
			 "do not decode", len);
		vg_sbx_plugin_error(sbx, NULL, NULL, "batch", text);
	} else if (batch->version !=
		   VIGIL__V1__SCHEMA_VERSION__SCHEMA_VERSION_1) {
		snprintf(text, sizeof(text), "event batch version %u, "
			 "expected %u", batch->version,
			 VIGIL__V1__SCHEMA_VERSION__SCHEMA_VERSION_1);
		vg_sbx_plugin_error(sbx, NULL, NULL, "batch", text);
	} else {
		vg_sbx_dispatch_batch(sbx, batch);
		events = batch->n_flows + batch->n_hosts +
			 batch->n_interfaces + batch->n_networks +
			 (batch->system != NULL);
		seq = batch->seq;
	}
	/* The arena contains the whole batch: no free_unpacked needed. */
	arena_reset(&lp->arena);
	vg_sbx_results_flush(sbx->results);
	if (seq != 0 && r < VG_SANDBOX_MAX_RINGS) {
		atomic_store_explicit(&st->results_at[r],
				      vg_sbx_results_put_seq(sbx->results),
				      memory_order_release);
		atomic_store_explicit(&st->handled_seq[r], seq,
				      memory_order_release);
	}
	atomic_fetch_add(&st->events, events);
	atomic_fetch_add(&st->batches, 1);
	atomic_store(&st->batch_start_ns, 0);
}

/*
 * Takes up to MESSAGES_PER_TURN batches from input ring <r>. Returns the
 * number taken, or -1 when the ring is corrupt.
 */
static int
drain_ring(struct loop *lp, unsigned int r)
{
	struct vg_shm_ring_ref *ring = &lp->shm->rings[r];
	int count = 0;

	/* A stop request ends the turn after the batch being run, so
	 * teardown starts within one batch of SIGTERM. */
	while (count < MESSAGES_PER_TURN && !stop_requested) {
		uint64_t tail = atomic_load(&ring->shared->tail);
		ssize_t n = vg_shm_ring_get(ring, lp->buf, lp->cap);

		if (n == -EMSGSIZE && lp->cap < ring->size) {
			uint8_t *grown = realloc(lp->buf, ring->size);

			if (grown == NULL) {
				VG_ERR(VG_SBX_TAG, "ring=%u: no memory for a "
				       "batch of up to %u bytes", r, ring->size);
				return -1;
			}
			lp->buf = grown;
			lp->cap = ring->size;
			continue;
		}
		if (n < 0) {
			VG_ERR(VG_SBX_TAG, "ring=%u is corrupt: %s", r,
			       strerror((int)-n));
			return -1;
		}
		/* get() returns 0 for an empty ring and for a zero-length
		 * message alike, but only the latter moves the tail. */
		if (n == 0 && atomic_load(&ring->shared->tail) == tail)
			break;
		handle_batch(lp, r, lp->buf, (size_t)n);
		count++;
	}
	return count;
}

/* Sleeps on the wake eventfd unless a ring got a message meanwhile. */
static void
sleep_until_woken(struct loop *lp)
{
	struct pollfd pfd = { .fd = lp->wake_fd, .events = POLLIN };
	bool may_sleep = true;
	unsigned int r;
	uint64_t value;

	for (r = 0; r < lp->inputs && may_sleep; r++)
		may_sleep = vg_shm_ring_prepare_sleep(&lp->shm->rings[r]);
	if (may_sleep && poll(&pfd, 1, SLEEP_MS) > 0 &&
	    (pfd.revents & POLLIN)) {
		if (read(lp->wake_fd, &value, sizeof(value)) < 0 &&
		    errno != EAGAIN && errno != EINTR)
			VG_WARN(VG_SBX_TAG, "read(wake-fd) failed: %s",
				strerror(errno));
	}
	for (r = 0; r < lp->inputs; r++)
		vg_shm_ring_awake(&lp->shm->rings[r]);
}

static int
run_loop(struct loop *lp, pid_t parent)
{
	while (!stop_requested) {
		bool got = false;
		unsigned int r;

		for (r = 0; r < lp->inputs; r++) {
			int n = drain_ring(lp, r);

			if (n < 0)
				return EXIT_FATAL;
			got = got || n > 0;
		}
		if (got)
			continue;
		sleep_until_woken(lp);
		if (getppid() != parent) {
			VG_WARN(VG_SBX_TAG, "parent exited; stopping");
			break;
		}
	}
	return 0;
}

/* Sends the load errors as PluginErrors, so vigild counts them. */
static void
send_load_errors(struct vg_sbx *sbx)
{
	size_t i;

	for (i = 0; i < sbx->n_load_errors; i++)
		vg_sbx_results_error(sbx->results,
				     sbx->load_error_plugins[i] ?
					     sbx->load_error_plugins[i] :
					     "",
				     "", "load", sbx->load_errors[i]);
	vg_sbx_results_flush(sbx->results);
}

/*
 * Logs the number of each script, as the status block's "script" field
 * gives it. NOTE: this log line is the only place vigild can learn the
 * numbers from, because the .proto has no message for them.
 */
static void
log_scripts(const struct vg_sbx *sbx)
{
	size_t i;

	for (i = 0; i < sbx->n_scripts; i++) {
		const struct vg_sbx_script *s = sbx->scripts[i];

		VG_INFO(VG_SBX_TAG, "script=%zu key=%s plugin=%s kind=%s%s",
			i + 1, s->key, s->plugin->name,
			vg_sbx_kind_name(s->kind),
			s->enabled ? "" : " (disabled)");
	}
}

/* Tells vigild which plugins loaded, which plugin each script number
 * belongs to, and whether the script runs. */
static void
describe_scripts(struct vg_sbx *sbx)
{
	size_t i;

	for (i = 0; i < sbx->n_plugins; i++) {
		const struct vg_sbx_plugin *p = sbx->plugins[i];

		if (p->loaded &&
		    vg_sbx_results_plugin(sbx->results, p->name) != 0)
			VG_WARN(VG_SBX_TAG, "plugin=%s not reported as loaded: "
				"vg_sbx_results_plugin() failed", p->name);
	}
	for (i = 0; i < sbx->n_scripts; i++)
		vg_sbx_report_script(sbx, sbx->scripts[i]);
	vg_sbx_results_flush(sbx->results);
}

/* Counts the plugins that loaded; the others were skipped or disabled. */
static size_t
count_loaded(const struct vg_sbx *sbx)
{
	size_t n = 0;
	size_t i;

	for (i = 0; i < sbx->n_plugins; i++)
		n += sbx->plugins[i]->loaded;
	return n;
}

static bool
any_jit(const struct vg_sbx *sbx)
{
	size_t i;

	for (i = 0; i < sbx->n_plugins; i++) {
		if (sbx->plugins[i]->loaded && sbx->plugins[i]->jit)
			return true;
	}
	return false;
}

static int
run_sandbox(struct args *a)
{
	struct vg_sbx sbx = { .opt = a->opt, .report = report_log };
	struct vg_sbx_isolation iso = { 0 };
	struct vg_sandbox_shm shm;
	struct loop lp = { 0 };
	pid_t parent = getppid();
	size_t loaded;
	int rc;

	rc = vg_sandbox_shm_attach(&shm, a->shm_fd);
	if (rc != 0) {
		VG_ERR(VG_SBX_TAG, "fd=%d vg_sandbox_shm_attach() failed: %s",
		       a->shm_fd, strerror(-rc));
		return EXIT_FATAL;
	}
	if (fcntl(a->wake_fd, F_GETFD) < 0 ||
	    fcntl(a->notify_fd, F_GETFD) < 0) {
		VG_ERR(VG_SBX_TAG, "wake-fd=%d or notify-fd=%d is not open",
		       a->wake_fd, a->notify_fd);
		return EXIT_FATAL;
	}
	rc = vg_sbx_isolate_lookup_user(&iso, a->user);
	if (rc != 0) {
		VG_ERR(VG_SBX_TAG, "user=%s cannot be used: %s", a->user,
		       rc == -ENOENT ? "no such user" : strerror(-rc));
		return EXIT_FATAL;
	}
	if (vg_sbx_isolate_early() != 0 || install_signals() != 0)
		return EXIT_FATAL;

	/* A quarter of the result ring per message, so several queue up
	 * while vigild's control thread is busy. */
	sbx.results = vg_sbx_results_create(vg_sandbox_shm_result_ring(&shm),
					    a->notify_fd,
					    vg_sandbox_shm_result_ring(&shm)->size /
						    4);
	if (sbx.results == NULL)
		return EXIT_FATAL;
	sbx.status_loading = shm.status->loading;
	rc = vg_sbx_load(&sbx, a->plugins);
	if (rc < 0) {
		VG_ERR(VG_SBX_TAG, "loading plugins failed: %s", strerror(-rc));
		return EXIT_FATAL;
	}
	loaded = count_loaded(&sbx);
	VG_INFO(VG_SBX_TAG, "loaded plugins=%zu scripts=%zu errors=%zu "
		"skipped=%zu", loaded, sbx.n_scripts, sbx.n_load_errors,
		sbx.n_plugins - loaded);
	log_scripts(&sbx);

	/* glibc reads the time zone file once, and os.date needs it after
	 * seccomp forbids opening it. */
	tzset();
	iso.shm_fd = a->shm_fd;
	iso.wake_fd = a->wake_fd;
	iso.notify_fd = a->notify_fd;
	iso.memory_mb = a->opt.memory_mb;
	iso.allow_exec = any_jit(&sbx);
	iso.parent = parent;
	if (vg_sbx_isolate(&iso) != 0)
		return EXIT_FATAL;

	sbx.status_script = &shm.status->script;
	atomic_store(&shm.status->ready, 1);
	describe_scripts(&sbx);
	send_load_errors(&sbx);

	lp.sbx = &sbx;
	lp.shm = &shm;
	lp.wake_fd = a->wake_fd;
	lp.inputs = shm.engine_count + 1;
	lp.cap = INITIAL_BUF;
	lp.buf = malloc(lp.cap);
	lp.arena.size = INITIAL_BUF * 4;
	lp.arena.base = malloc(lp.arena.size);
	lp.allocator.alloc = arena_alloc;
	lp.allocator.free = arena_free;
	lp.allocator.allocator_data = &lp.arena;
	if (lp.buf == NULL || lp.arena.base == NULL)
		return EXIT_FATAL;
	rc = run_loop(&lp, parent);

	vg_sbx_dispatch_teardown(&sbx);
	vg_sbx_results_flush(sbx.results);
	VG_INFO(VG_SBX_TAG, "stopping batches=%llu events=%llu",
		(unsigned long long)atomic_load(&shm.status->batches),
		(unsigned long long)atomic_load(&shm.status->events));
	free(lp.buf);
	arena_reset(&lp.arena);
	free(lp.arena.base);
	vg_sbx_results_free(sbx.results);
	sbx.results = NULL;
	vg_sbx_free(&sbx);
	return rc;
}

int
main(int argc, char **argv)
{
	struct args a;
	int rc;

	if (parse_args(argc, argv, &a) != 0)
		return EXIT_USAGE;
	if (a.id_given)
		snprintf(vg_sbx_log_tag, sizeof(vg_sbx_log_tag), "sandbox-%hu",
			 (unsigned short)a.id);
	if (a.page)
		rc = vg_sbx_page_run(a.plugins, a.user, &a.opt);
	else if (a.check_config)
		rc = run_check_config(&a);
	else
		rc = a.check ? run_check(&a) : run_sandbox(&a);
	free(a.opt.disable);
	free(a.opt.jit);
	return rc;
}
