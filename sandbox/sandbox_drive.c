/*
 * vigil-sandbox-drive: runs one vigil-sandbox the way vigild does, for
 * tests and plugin authors, without DPDK or captures.
 *
 * It creates the shared region and the two eventfds, spawns the sandbox
 * with them, then reads commands from stdin, one per line, builds
 * EventBatch messages from them and prints everything the sandbox sends
 * back as JSON Lines on stdout. Commands:
 *
 *   flow KEY=VALUE...      add a flow event to the pending batch of
 *                          engine ring "engine" (default 0)
 *   host|interface|network|system KEY=VALUE...
 *                          add a snapshot to the pending control batch
 *   send [engine=N|control=1] [period=min|5mins|hour|day] [time_us=N]
 *                          put the pending batch on its ring
 *   raw engine=N hex=HEX   put raw bytes on a ring (invalid batches)
 *   flood n=N batch=M [engine=N] KEY=VALUE...
 *                          send N copies of a flow (id and client_port
 *                          vary), wait for them, print the rate
 *   sync [timeout_ms=N]    wait until the sandbox has handled every batch
 *   status                 print the shared status block
 *   sleep ms=N             wait, printing results as they come
 *   kill [signal=N]        signal the sandbox and wait for it to exit
 *   wait_exit [timeout_ms=N]
 *   end                    SIGTERM, wait, print the exit (also on EOF)
 *
 * Values are percent-decoded, so "%20" is a space and "%ff" a raw byte.
 * A flow given l7 but neither l7_master nor l7_app gets the parts of its
 * l7 as those two, as vigild sends them.
 * Output lines have a "type": ready (with the sandbox's pid and the
 * descriptor numbers it was given), status, alert, release, point,
 * loaded (one per plugin that loaded), error, batch, synced, timeout,
 * shm, rate, exit, drive_error.
 *
 * This file parses the options, spawns the sandbox, runs the commands and
 * moves batches through the rings; sandbox_drive_fields.c turns KEY=VALUE
 * words into message fields, and sandbox_drive_output.c prints the lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/sandbox_shm.h"
#include "sandbox/json.h"
#include "sandbox/l7_parts.h"
#include "sandbox/sandbox_drive.h"
#include "vigil_events.pb-c.h"

#define LINE_MAX_BYTES (1u << 20)

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Reads and prints every result batch waiting. Returns the count. */
static unsigned int
drain_results(struct drive *d)
{
	struct vg_shm_ring_ref *ring = vg_sandbox_shm_result_ring(&d->shm);
	unsigned int n = 0;
	uint64_t value;

	if (read(d->notify_fd, &value, sizeof(value)) < 0 && errno != EAGAIN)
		perror("read notify-fd");
	for (;;) {
		ssize_t len = vg_shm_ring_get(ring, d->buf, d->cap);
		Vigil__V1__ResultBatch *rb;

		if (len == 0)
			break;
		if (len < 0) {
			drive_error(d, "result ring: %s", strerror((int)-len));
			break;
		}
		rb = vigil__v1__result_batch__unpack(NULL, (size_t)len, d->buf);
		if (rb == NULL) {
			drive_error(d, "%s", "result batch does not decode");
			continue;
		}
		drive_print_result(d, rb);
		vigil__v1__result_batch__free_unpacked(rb, NULL);
		n++;
	}
	return n;
}

/* Notes the child's exit if it happened; returns true once exited. */
static bool
check_child(struct drive *d, int options)
{
	int status;
	pid_t pid;

	if (d->exited)
		return true;
	pid = waitpid(d->child, &status, options);
	if (pid != d->child)
		return false;
	d->exited = true;
	d->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	d->exit_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	drain_results(d);
	drive_print_exit(d);
	return true;
}

/* Waits up to <ms> for results, printing them; returns early on exit. */
static void
pump(struct drive *d, int ms)
{
	struct pollfd pfd = { .fd = d->notify_fd, .events = POLLIN };
	struct vg_shm_ring_ref *ring = vg_sandbox_shm_result_ring(&d->shm);

	drain_results(d);
	if (check_child(d, WNOHANG))
		return;
	if (vg_shm_ring_prepare_sleep(ring))
		poll(&pfd, 1, ms);
	vg_shm_ring_awake(ring);
	drain_results(d);
}

static const char *
arg_value(char **argv, int argc, const char *key)
{
	size_t len = strlen(key);
	int i;

	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], key, len) == 0 && argv[i][len] == '=')
			return argv[i] + len + 1;
	}
	return NULL;
}

static long long
arg_int(char **argv, int argc, const char *key, long long def)
{
	const char *v = arg_value(argv, argc, key);

	return v ? strtoll(v, NULL, 0) : def;
}

static int
push_msg(void ***arr, size_t *n, void *msg)
{
	void **grown = realloc(*arr, (*n + 1) * sizeof(void *));

	if (grown == NULL)
		return -1;
	grown[(*n)++] = msg;
	*arr = grown;
	return 0;
}

static unsigned int
ring_arg(struct drive *d, char **argv, int argc)
{
	if (arg_value(argv, argc, "control") != NULL)
		return d->engines;
	return (unsigned int)arg_int(argv, argc, "engine", 0) % d->engines;
}

static void
cmd_flow(struct drive *d, char **argv, int argc)
{
	Vigil__V1__FlowEvent *fe = calloc(1, sizeof(*fe));
	struct pending *p = &d->pending[ring_arg(d, argv, argc)];

	if (fe == NULL)
		return;
	vigil__v1__flow_event__init(fe);
	if (drive_fill(fe, drive_flow_keys, argv, argc, d) != 0 ||
	    vg_sbx_fill_l7_parts(fe) != 0 ||
	    push_msg((void ***)&p->batch.flows, &p->batch.n_flows, fe) != 0)
		vigil__v1__flow_event__free_unpacked(fe, NULL);
}

static void
cmd_snapshot(struct drive *d, const char *kind, char **argv, int argc)
{
	struct pending *p = &d->pending[d->engines];
	ProtobufCMessage *msg = NULL;
	const struct drive_key *keys;
	void ***arr = NULL;
	size_t *n = NULL;

	if (strcmp(kind, "host") == 0) {
		Vigil__V1__HostSnapshot *h = calloc(1, sizeof(*h));

		vigil__v1__host_snapshot__init(h);
		msg = &h->base, keys = drive_host_keys;
		arr = (void ***)&p->batch.hosts, n = &p->batch.n_hosts;
	} else if (strcmp(kind, "interface") == 0) {
		Vigil__V1__InterfaceSnapshot *i = calloc(1, sizeof(*i));

		vigil__v1__interface_snapshot__init(i);
		msg = &i->base, keys = drive_interface_keys;
		arr = (void ***)&p->batch.interfaces, n = &p->batch.n_interfaces;
	} else if (strcmp(kind, "network") == 0) {
		Vigil__V1__NetworkSnapshot *nw = calloc(1, sizeof(*nw));

		vigil__v1__network_snapshot__init(nw);
		msg = &nw->base, keys = drive_network_keys;
		arr = (void ***)&p->batch.networks, n = &p->batch.n_networks;
	} else {
		Vigil__V1__SystemSnapshot *s = calloc(1, sizeof(*s));

		vigil__v1__system_snapshot__init(s);
		msg = &s->base, keys = drive_system_keys;
	}
	if (drive_fill(msg, keys, argv, argc, d) != 0) {
		protobuf_c_message_free_unpacked(msg, NULL);
		return;
	}
	if (arr == NULL) {
		if (p->batch.system != NULL)
			protobuf_c_message_free_unpacked(&p->batch.system->base,
							 NULL);
		p->batch.system = (Vigil__V1__SystemSnapshot *)msg;
	} else if (push_msg(arr, n, msg) != 0) {
		protobuf_c_message_free_unpacked(msg, NULL);
	}
}

static int
parse_period(const char *v)
{
	if (v == NULL)
		return 0;
	if (strcmp(v, "min") == 0)
		return 1;
	if (strcmp(v, "5mins") == 0)
		return 2;
	if (strcmp(v, "hour") == 0)
		return 3;
	if (strcmp(v, "day") == 0)
		return 4;
	return atoi(v);
}

/* Puts <len> bytes on ring <r>, waiting while it is full. */
static int
put_wait(struct drive *d, unsigned int r, const uint8_t *msg, size_t len)
{
	struct vg_shm_ring_ref *ring = &d->shm.rings[r];
	uint64_t deadline = now_ns() + 30000000000ull;
	int rc;

	for (;;) {
		rc = vg_shm_ring_put(ring, msg, (uint32_t)len);
		vg_shm_ring_wake(ring, d->wake_fd);
		if (rc != -ENOSPC || d->exited || now_ns() > deadline)
			break;
		/* vg_shm_ring_put counted the retry as a drop; undo it. */
		atomic_fetch_sub(&ring->shared->dropped, 1);
		pump(d, 1);
	}
	if (rc == 0)
		d->sent++;
	return rc;
}

static void
clear_pending(struct pending *p)
{
	Vigil__V1__EventBatch *b = &p->batch;
	size_t i;

	for (i = 0; i < b->n_flows; i++)
		vigil__v1__flow_event__free_unpacked(b->flows[i], NULL);
	for (i = 0; i < b->n_hosts; i++)
		vigil__v1__host_snapshot__free_unpacked(b->hosts[i], NULL);
	for (i = 0; i < b->n_interfaces; i++)
		vigil__v1__interface_snapshot__free_unpacked(b->interfaces[i],
							     NULL);
	for (i = 0; i < b->n_networks; i++)
		vigil__v1__network_snapshot__free_unpacked(b->networks[i],
							   NULL);
	if (b->system != NULL)
		vigil__v1__system_snapshot__free_unpacked(b->system, NULL);
	free(b->flows);
	free(b->hosts);
	free(b->interfaces);
	free(b->networks);
	vigil__v1__event_batch__init(b);
}

static void
cmd_send(struct drive *d, char **argv, int argc)
{
	unsigned int r = ring_arg(d, argv, argc);
	struct pending *p = &d->pending[r];
	uint8_t *msg;
	size_t len;
	int rc;

	p->batch.version = (uint32_t)arg_int(argv, argc, "version", 1);
	p->batch.seq = ++p->seq;
	p->batch.time_us = (uint64_t)arg_int(argv, argc, "time_us",
					     1700000000000000ll);
	p->batch.period = parse_period(arg_value(argv, argc, "period"));
	len = vigil__v1__event_batch__get_packed_size(&p->batch);
	msg = malloc(len ? len : 1);
	if (msg == NULL)
		return;
	vigil__v1__event_batch__pack(&p->batch, msg);
	rc = put_wait(d, r, msg, len);
	if (rc != 0)
		drive_error(d, "put on input ring failed: %s", strerror(-rc));
	free(msg);
	clear_pending(p);
}

static void
cmd_raw(struct drive *d, char **argv, int argc)
{
	const char *hex = arg_value(argv, argc, "hex");
	size_t len = hex ? strlen(hex) / 2 : 0;
	uint8_t *msg = malloc(len + 1);
	size_t i;

	if (msg == NULL)
		return;
	for (i = 0; i < len; i++)
		msg[i] = (uint8_t)(drive_hexval(hex[2 * i]) * 16 +
				   drive_hexval(hex[2 * i + 1]));
	if (put_wait(d, ring_arg(d, argv, argc), msg, len) != 0)
		drive_error(d, "%s", "put on input ring failed");
	free(msg);
}

/* Waits until the sandbox has handled every batch sent. */
static bool
wait_synced(struct drive *d, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct vg_sandbox_status *st = d->shm.status;

	for (;;) {
		if (atomic_load(&st->batches) >= d->sent &&
		    atomic_load(&st->batch_start_ns) == 0) {
			drain_results(d);
			return true;
		}
		if (d->exited || now_ns() > deadline)
			return false;
		pump(d, 2);
	}
}

static void
cmd_sync(struct drive *d, char **argv, int argc)
{
	int timeout = (int)arg_int(argv, argc, "timeout_ms", 10000);
	bool ok = wait_synced(d, timeout);

	vg_sbx_buf_printf(&d->out, "{\"type\":\"%s\",\"batches\":%" PRIu64
			  ",\"sent\":%" PRIu64 "}", ok ? "synced" : "timeout",
			  (uint64_t)atomic_load(&d->shm.status->batches),
			  d->sent);
	drive_emit(d);
}

static void
cmd_status(struct drive *d)
{
	struct vg_sandbox_status *st = d->shm.status;
	uint64_t start = atomic_load(&st->batch_start_ns);
	uint64_t now = now_ns();

	drain_results(d);
	vg_sbx_buf_printf(&d->out, "{\"type\":\"shm\",\"batch_start_ns\":%"
			  PRIu64 ",\"age_ms\":%" PRIu64 ",\"batches\":%" PRIu64
			  ",\"events\":%" PRIu64 ",\"script\":%u,\"ready\":%u,"
			  "\"result_ring_dropped\":%" PRIu64 "}", start,
			  start && now > start ? (now - start) / 1000000 : 0,
			  (uint64_t)atomic_load(&st->batches),
			  (uint64_t)atomic_load(&st->events),
			  (unsigned int)atomic_load(&st->script),
			  (unsigned int)atomic_load(&st->ready),
			  (uint64_t)atomic_load(
				  &vg_sandbox_shm_result_ring(&d->shm)
					   ->shared->dropped));
	drive_emit(d);
}

/*
 * Sends <n> copies of one flow, parsed once: only the id and the client
 * port change, so building batches costs little next to what the sandbox
 * does with them and the rate measures the sandbox.
 */
static void
cmd_flood(struct drive *d, char **argv, int argc)
{
	long long n = arg_int(argv, argc, "n", 100000);
	long long per_batch = arg_int(argv, argc, "batch", 256);
	unsigned int r = ring_arg(d, argv, argc);
	Vigil__V1__EventBatch batch = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__FlowEvent *tmpl = calloc(1, sizeof(*tmpl));
	Vigil__V1__FlowEvent *events;
	Vigil__V1__FlowEvent **ptrs;
	uint8_t *msg = NULL;
	size_t msg_cap = 0;
	uint64_t before[6];
	uint64_t start;
	double seconds;
	long long i = 0;
	bool ok;

	if (per_batch < 1)
		per_batch = 1;
	events = calloc((size_t)per_batch, sizeof(*events));
	ptrs = calloc((size_t)per_batch, sizeof(*ptrs));
	if (tmpl == NULL || events == NULL || ptrs == NULL)
		goto out;
	vigil__v1__flow_event__init(tmpl);
	if (drive_fill(tmpl, drive_flow_keys, argv, argc, d) != 0 ||
	    vg_sbx_fill_l7_parts(tmpl) != 0)
		goto out;
	memcpy(before, d->counts, sizeof(before));
	d->quiet = true;
	start = now_ns();
	while (i < n && !d->exited) {
		size_t len;
		size_t k = 0;

		for (; k < (size_t)per_batch && i < n; k++, i++) {
			events[k] = *tmpl;
			events[k].flow_id = (uint64_t)i + 1;
			events[k].client_port = (uint32_t)(1024 + i % 60000);
			ptrs[k] = &events[k];
		}
		batch.version = 1;
		batch.seq = ++d->pending[r].seq;
		batch.time_us = 1700000000000000ull;
		batch.n_flows = k;
		batch.flows = ptrs;
		len = vigil__v1__event_batch__get_packed_size(&batch);
		if (len > msg_cap) {
			uint8_t *grown = realloc(msg, len);

			if (grown == NULL)
				break;
			msg = grown;
			msg_cap = len;
		}
		vigil__v1__event_batch__pack(&batch, msg);
		if (put_wait(d, r, msg, len) != 0) {
			drive_error(d, "%s", "put on input ring failed");
			break;
		}
		drain_results(d);
	}
	ok = wait_synced(d, 120000);
	seconds = (now_ns() - start) / 1e9;
	d->quiet = false;
	vg_sbx_buf_printf(&d->out, "{\"type\":\"rate\",\"synced\":%s,"
			  "\"events\":%lld,\"seconds\":%.3f,"
			  "\"events_per_sec\":%.0f,\"statuses\":%" PRIu64
			  ",\"alerts\":%" PRIu64 ",\"errors\":%" PRIu64 "}",
			  ok ? "true" : "false", i, seconds, i / seconds,
			  d->counts[0] - before[0], d->counts[1] - before[1],
			  d->counts[4] - before[4]);
	drive_emit(d);
out:
	/* The template owns the strings the copies pointed at. */
	if (tmpl != NULL)
		vigil__v1__flow_event__free_unpacked(tmpl, NULL);
	free(events);
	free(ptrs);
	free(msg);
}

static void
wait_exit(struct drive *d, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (!check_child(d, WNOHANG)) {
		if (now_ns() > deadline) {
			vg_sbx_buf_puts(&d->out, "{\"type\":\"timeout\","
				       "\"waiting_for\":\"exit\"}");
			drive_emit(d);
			return;
		}
		pump(d, 5);
	}
}

static void
cmd_kill(struct drive *d, char **argv, int argc)
{
	if (!d->exited)
		kill(d->child, (int)arg_int(argv, argc, "signal", SIGKILL));
	wait_exit(d, (int)arg_int(argv, argc, "timeout_ms", 10000));
}

static void
cmd_sleep(struct drive *d, char **argv, int argc)
{
	uint64_t deadline = now_ns() +
			    (uint64_t)arg_int(argv, argc, "ms", 100) * 1000000ull;

	while (now_ns() < deadline)
		pump(d, 5);
}

/* Splits <line> at spaces into at most <max> words; returns the count. */
static int
split_words(char *line, char **words, int max)
{
	char *save = NULL;
	char *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok && n < max;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		words[n++] = tok;
	return n;
}

static bool
run_command(struct drive *d, char *line)
{
	char *w[128];
	int n = split_words(line, w, 128);
	const char *cmd;

	if (n == 0 || w[0][0] == '#')
		return true;
	cmd = w[0];
	if (strcmp(cmd, "flow") == 0)
		cmd_flow(d, w + 1, n - 1);
	else if (strcmp(cmd, "host") == 0 || strcmp(cmd, "interface") == 0 ||
		 strcmp(cmd, "network") == 0 || strcmp(cmd, "system") == 0)
		cmd_snapshot(d, cmd, w + 1, n - 1);
	else if (strcmp(cmd, "send") == 0)
		cmd_send(d, w + 1, n - 1);
	else if (strcmp(cmd, "raw") == 0)
		cmd_raw(d, w + 1, n - 1);
	else if (strcmp(cmd, "sync") == 0)
		cmd_sync(d, w + 1, n - 1);
	else if (strcmp(cmd, "status") == 0)
		cmd_status(d);
	else if (strcmp(cmd, "sleep") == 0)
		cmd_sleep(d, w + 1, n - 1);
	else if (strcmp(cmd, "flood") == 0)
		cmd_flood(d, w + 1, n - 1);
	else if (strcmp(cmd, "kill") == 0)
		cmd_kill(d, w + 1, n - 1);
	else if (strcmp(cmd, "wait_exit") == 0)
		wait_exit(d, (int)arg_int(w + 1, n - 1, "timeout_ms", 10000));
	else if (strcmp(cmd, "end") == 0)
		return false;
	else
		drive_error(d, "unknown command '%s'", cmd);
	return true;
}

static int
spawn(struct drive *d, char **argv)
{
	char fds[3][16];
	char **args;
	int argc = 0;
	int i;

	while (argv[argc] != NULL)
		argc++;
	args = calloc((size_t)argc + 7, sizeof(*args));
	if (args == NULL)
		return -1;
	for (i = 0; i < argc; i++)
		args[i] = argv[i];
	snprintf(fds[0], sizeof(fds[0]), "%d", d->shm.fd);
	snprintf(fds[1], sizeof(fds[1]), "%d", d->wake_fd);
	snprintf(fds[2], sizeof(fds[2]), "%d", d->notify_fd);
	args[argc++] = "--shm-fd";
	args[argc++] = fds[0];
	args[argc++] = "--wake-fd";
	args[argc++] = fds[1];
	args[argc++] = "--notify-fd";
	args[argc++] = fds[2];
	fflush(stdout);
	d->child = fork();
	if (d->child < 0) {
		free(args);
		return -1;
	}
	if (d->child == 0) {
		fcntl(d->shm.fd, F_SETFD, 0);
		fcntl(d->wake_fd, F_SETFD, 0);
		fcntl(d->notify_fd, F_SETFD, 0);
		execv(args[0], args);
		perror("execv");
		_exit(127);
	}
	free(args);
	return 0;
}

static bool
wait_ready(struct drive *d, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (atomic_load(&d->shm.status->ready) == 0) {
		if (check_child(d, WNOHANG) || now_ns() > deadline)
			return false;
		pump(d, 5);
	}
	return true;
}

static void
usage(void)
{
	fprintf(stderr, "usage: vigil-sandbox-drive [--engines N] "
		"[--event-bytes B] [--result-bytes B] [--ready-timeout-ms T] "
		"-- /path/to/vigil-sandbox --plugins DIR [options]\n"
		"commands are read from stdin; see the top of "
		"sandbox/sandbox_drive.c\n");
}

int
main(int argc, char **argv)
{
	struct drive d;
	unsigned long event_bytes = 1u << 20;
	unsigned long result_bytes = 1u << 20;
	int ready_timeout = 30000;
	char **sandbox_argv;
	char *line;
	int i;
	int rc;

	memset(&d, 0, sizeof(d));
	d.engines = 1;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (i + 1 >= argc)
			break;
		if (strcmp(argv[i], "--engines") == 0)
			d.engines = (unsigned int)atoi(argv[++i]);
		else if (strcmp(argv[i], "--event-bytes") == 0)
			event_bytes = strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--result-bytes") == 0)
			result_bytes = strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--ready-timeout-ms") == 0)
			ready_timeout = atoi(argv[++i]);
		else
			break;
	}
	if (i >= argc - 1 || strcmp(argv[i], "--") != 0 || d.engines < 1 ||
	    d.engines > MAX_ENGINES) {
		usage();
		return 2;
	}
	sandbox_argv = argv + i + 1;
	rc = vg_sandbox_shm_create(&d.shm, d.engines, (uint32_t)event_bytes,
				   (uint32_t)result_bytes);
	if (rc != 0) {
		fprintf(stderr, "vg_sandbox_shm_create() failed: %s\n",
			strerror(-rc));
		return 1;
	}
	d.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d.notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d.cap = result_bytes;
	d.buf = malloc(d.cap);
	line = malloc(LINE_MAX_BYTES);
	vg_sbx_buf_init(&d.out, 8u << 20);
	for (i = 0; i <= MAX_ENGINES; i++)
		vigil__v1__event_batch__init(&d.pending[i].batch);
	if (d.wake_fd < 0 || d.notify_fd < 0 || d.buf == NULL ||
	    line == NULL || spawn(&d, sandbox_argv) != 0) {
		perror("vigil-sandbox-drive");
		return 1;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (!wait_ready(&d, ready_timeout)) {
		if (!d.exited) {
			vg_sbx_buf_puts(&d.out, "{\"type\":\"timeout\","
				       "\"waiting_for\":\"ready\"}");
			drive_emit(&d);
			kill(d.child, SIGKILL);
			check_child(&d, 0);
		}
		return 1;
	}
	vg_sbx_buf_printf(&d.out, "{\"type\":\"ready\",\"pid\":%d,"
			  "\"shm_fd\":%d,\"wake_fd\":%d,\"notify_fd\":%d}",
			  (int)d.child, d.shm.fd, d.wake_fd, d.notify_fd);
	drive_emit(&d);
	while (fgets(line, LINE_MAX_BYTES, stdin) != NULL) {
		if (!run_command(&d, line))
			break;
		drain_results(&d);
		check_child(&d, WNOHANG);
	}
	if (!d.exited) {
		kill(d.child, SIGTERM);
		wait_exit(&d, 10000);
		if (!d.exited) {
			kill(d.child, SIGKILL);
			check_child(&d, 0);
		}
	}
	for (i = 0; i <= MAX_ENGINES; i++)
		clear_pending(&d.pending[i]);
	vg_sbx_buf_free(&d.out);
	vg_sandbox_shm_close(&d.shm);
	free(d.buf);
	free(line);
	return 0;
}
