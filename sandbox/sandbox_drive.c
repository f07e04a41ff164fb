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
 * Output lines have a "type": ready (with the sandbox's pid and the
 * descriptor numbers it was given), status, alert, release, point,
 * loaded (one per plugin that loaded), error, batch, synced, timeout,
 * shm, rate, exit, drive_error.
 */
#include <arpa/inet.h>
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
#include "vigil_events.pb-c.h"

#define MAX_ENGINES 8
#define LINE_MAX_BYTES (1u << 20)

enum ftype { T_U32, T_U64, T_BOOL, T_STR, T_IP, T_LIST, T_DOUBLE, T_HOOK,
	     T_L4 };

struct key {
	const char *name;
	enum ftype type;
	size_t off;
	size_t off2;
};

#define K(type_, name_, t_, m_) { name_, t_, offsetof(type_, m_), 0 }
#define KL(type_, name_, n_, m_) \
	{ name_, T_LIST, offsetof(type_, n_), offsetof(type_, m_) }

#define FE Vigil__V1__FlowEvent
static const struct key flow_keys[] = {
	K(FE, "hook", T_HOOK, hook),
	K(FE, "id", T_U64, flow_id),
	K(FE, "l4", T_L4, l4_proto),
	K(FE, "client_ip", T_IP, client_ip),
	K(FE, "client_port", T_U32, client_port),
	K(FE, "server_ip", T_IP, server_ip),
	K(FE, "server_port", T_U32, server_port),
	K(FE, "vlan", T_U32, vlan),
	K(FE, "l7", T_STR, l7),
	K(FE, "master_proto", T_U32, master_proto),
	K(FE, "app_proto", T_U32, app_proto),
	K(FE, "category", T_STR, category),
	K(FE, "confidence", T_STR, confidence),
	K(FE, "c2s_packets", T_U64, c2s_packets),
	K(FE, "c2s_bytes", T_U64, c2s_bytes),
	K(FE, "s2c_packets", T_U64, s2c_packets),
	K(FE, "s2c_bytes", T_U64, s2c_bytes),
	K(FE, "first_seen_us", T_U64, first_seen_us),
	K(FE, "last_seen_us", T_U64, last_seen_us),
	K(FE, "server_name", T_STR, server_name),
	K(FE, "ja3_client", T_STR, ja3_client),
	KL(FE, "risks", n_risks, risks),
	K(FE, "c2s_tcp_flags", T_U32, c2s_tcp_flags),
	K(FE, "s2c_tcp_flags", T_U32, s2c_tcp_flags),
	K(FE, "retransmissions", T_U32, retransmissions),
	K(FE, "out_of_order", T_U32, out_of_order),
	K(FE, "zero_windows", T_U32, zero_windows),
	K(FE, "rtt_us", T_U32, rtt_us),
	K(FE, "swapped", T_BOOL, swapped),
	K(FE, "partial", T_BOOL, partial),
	K(FE, "score", T_U32, score),
	KL(FE, "statuses", n_statuses, statuses),
	K(FE, "client_local", T_BOOL, client_local),
	K(FE, "server_local", T_BOOL, server_local),
	{ NULL, 0, 0, 0 },
};
#undef FE

#define HS Vigil__V1__HostSnapshot
static const struct key host_keys[] = {
	K(HS, "ip", T_IP, ip),
	K(HS, "vlan", T_U32, vlan),
	K(HS, "local", T_BOOL, local),
	K(HS, "bytes_sent", T_U64, bytes_sent),
	K(HS, "bytes_rcvd", T_U64, bytes_rcvd),
	K(HS, "packets_sent", T_U64, packets_sent),
	K(HS, "packets_rcvd", T_U64, packets_rcvd),
	K(HS, "flows_as_client", T_U32, flows_as_client),
	K(HS, "flows_as_server", T_U32, flows_as_server),
	K(HS, "total_flows_as_client", T_U64, total_flows_as_client),
	K(HS, "total_flows_as_server", T_U64, total_flows_as_server),
	K(HS, "score", T_U32, score),
	K(HS, "first_seen_us", T_U64, first_seen_us),
	K(HS, "last_seen_us", T_U64, last_seen_us),
	K(HS, "dns_bytes", T_U64, dns_bytes),
	K(HS, "p2p_bytes", T_U64, p2p_bytes),
	K(HS, "syn_sent", T_U32, syn_sent),
	K(HS, "syn_rcvd", T_U32, syn_rcvd),
	{ NULL, 0, 0, 0 },
};
#undef HS

#define IS Vigil__V1__InterfaceSnapshot
static const struct key interface_keys[] = {
	K(IS, "name", T_STR, name),
	K(IS, "packets", T_U64, packets),
	K(IS, "bytes", T_U64, bytes),
	K(IS, "imissed", T_U64, imissed),
	K(IS, "ring_full", T_U64, ring_full),
	K(IS, "active_flows", T_U32, active_flows),
	K(IS, "active_hosts", T_U32, active_hosts),
	K(IS, "flows_table_full", T_U64, flows_table_full),
	K(IS, "flows_capacity", T_U32, flows_capacity),
	K(IS, "hosts_capacity", T_U32, hosts_capacity),
	K(IS, "hosts_table_full", T_U64, hosts_table_full),
	{ NULL, 0, 0, 0 },
};
#undef IS

#define NS Vigil__V1__NetworkSnapshot
static const struct key network_keys[] = {
	K(NS, "cidr", T_STR, cidr),
	K(NS, "bytes_in", T_U64, bytes_in),
	K(NS, "bytes_out", T_U64, bytes_out),
	K(NS, "bytes_inside", T_U64, bytes_inside),
	K(NS, "flows_in", T_U64, flows_in),
	K(NS, "flows_out", T_U64, flows_out),
	{ NULL, 0, 0, 0 },
};
#undef NS

#define SS Vigil__V1__SystemSnapshot
static const struct key system_keys[] = {
	K(SS, "uptime_s", T_U64, uptime_s),
	K(SS, "rss_bytes", T_U64, rss_bytes),
	K(SS, "events_lost", T_U64, events_lost),
	K(SS, "disk_free_ratio", T_DOUBLE, disk_free_ratio),
	K(SS, "disk_total_bytes", T_U64, disk_total_bytes),
	{ NULL, 0, 0, 0 },
};
#undef SS

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

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
emit(struct drive *d)
{
	if (d->out.failed) {
		printf("{\"type\":\"drive_error\",\"message\":\"output line "
		       "too long\"}\n");
	} else if (d->out.len) {
		fwrite(d->out.data, 1, d->out.len, stdout);
		fputc('\n', stdout);
	}
	fflush(stdout);
	vg_sbx_buf_reset(&d->out);
}

static void
jstr(struct vg_sbx_buf *b, const char *key, const char *value)
{
	vg_sbx_buf_printf(b, ",\"%s\":", key);
	vg_sbx_json_string(b, value ? value : "", value ? strlen(value) : 0);
}

static void
drive_error(struct drive *d, const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	vg_sbx_buf_puts(&d->out, "{\"type\":\"drive_error\"");
	jstr(&d->out, "message", msg);
	vg_sbx_buf_puts(&d->out, "}");
	emit(d);
}

static const char *const entity_names[] = {
	"unspecified", "flow", "host", "interface", "network", "system",
};
static const char *const severity_names[] = {
	"unspecified", "info", "notice", "warning", "error", "critical",
};

static void
print_result(struct drive *d, const Vigil__V1__ResultBatch *rb)
{
	struct vg_sbx_buf *b = &d->out;
	size_t i;
	size_t j;

	d->counts[0] += rb->n_statuses;
	d->counts[1] += rb->n_triggers;
	d->counts[2] += rb->n_releases;
	d->counts[3] += rb->n_points;
	d->counts[4] += rb->n_errors;
	d->counts[5]++;
	if (d->quiet) {
		d->result_seq = rb->seq;
		return;
	}
	for (i = 0; i < rb->n_statuses; i++) {
		const Vigil__V1__FlowStatus *s = rb->statuses[i];

		vg_sbx_buf_printf(b, "{\"type\":\"status\",\"flow_id\":%" PRIu64
				  ",\"score\":%u,\"client_score\":%u,"
				  "\"server_score\":%u", s->flow_id, s->score,
				  s->client_score, s->server_score);
		jstr(b, "status", s->status);
		jstr(b, "plugin", s->plugin);
		jstr(b, "script", s->script);
		vg_sbx_buf_puts(b, "}");
		emit(d);
	}
	for (i = 0; i < rb->n_triggers; i++) {
		const Vigil__V1__AlertTrigger *t = rb->triggers[i];

		vg_sbx_buf_printf(b, "{\"type\":\"alert\",\"score\":%u,"
				  "\"time_us\":%" PRIu64 ",\"flow_id\":%" PRIu64,
				  t->score, t->time_us, t->flow_id);
		jstr(b, "entity", t->entity < 6 ? entity_names[t->entity] : "?");
		jstr(b, "value", t->entity_value);
		jstr(b, "alert_type", t->alert_type);
		jstr(b, "severity",
		     t->severity < 6 ? severity_names[t->severity] : "?");
		jstr(b, "details_json", t->details_json);
		jstr(b, "plugin", t->plugin);
		jstr(b, "script", t->script);
		vg_sbx_buf_puts(b, "}");
		emit(d);
	}
	for (i = 0; i < rb->n_releases; i++) {
		const Vigil__V1__AlertRelease *r = rb->releases[i];

		vg_sbx_buf_printf(b, "{\"type\":\"release\",\"time_us\":%" PRIu64,
				  r->time_us);
		jstr(b, "entity", r->entity < 6 ? entity_names[r->entity] : "?");
		jstr(b, "value", r->entity_value);
		jstr(b, "alert_type", r->alert_type);
		jstr(b, "plugin", r->plugin);
		jstr(b, "script", r->script);
		vg_sbx_buf_puts(b, "}");
		emit(d);
	}
	for (i = 0; i < rb->n_points; i++) {
		const Vigil__V1__TimeseriesPoint *p = rb->points[i];

		vg_sbx_buf_printf(b, "{\"type\":\"point\",\"time_us\":%" PRIu64,
				  p->time_us);
		jstr(b, "schema", p->schema);
		jstr(b, "plugin", p->plugin);
		vg_sbx_buf_puts(b, ",\"tags\":{");
		for (j = 0; j < p->n_tags; j++) {
			if (j)
				vg_sbx_buf_puts(b, ",");
			vg_sbx_json_string(b, p->tags[j]->key,
					   strlen(p->tags[j]->key));
			vg_sbx_buf_puts(b, ":");
			vg_sbx_json_string(b, p->tags[j]->value,
					   strlen(p->tags[j]->value));
		}
		vg_sbx_buf_puts(b, "},\"metrics\":{");
		for (j = 0; j < p->n_metrics; j++) {
			if (j)
				vg_sbx_buf_puts(b, ",");
			vg_sbx_json_string(b, p->metrics[j]->key,
					   strlen(p->metrics[j]->key));
			vg_sbx_buf_puts(b, ":");
			vg_sbx_json_number(b, p->metrics[j]->value);
		}
		vg_sbx_buf_puts(b, "}}");
		emit(d);
	}
	for (i = 0; i < rb->n_loaded_plugins; i++) {
		vg_sbx_buf_puts(b, "{\"type\":\"loaded\"");
		jstr(b, "plugin", rb->loaded_plugins[i]);
		vg_sbx_buf_puts(b, "}");
		emit(d);
	}
	for (i = 0; i < rb->n_errors; i++) {
		const Vigil__V1__PluginError *e = rb->errors[i];

		vg_sbx_buf_puts(b, "{\"type\":\"error\"");
		jstr(b, "plugin", e->plugin);
		jstr(b, "script", e->script);
		jstr(b, "hook", e->hook);
		jstr(b, "message", e->message);
		vg_sbx_buf_puts(b, "}");
		emit(d);
	}
	vg_sbx_buf_printf(b, "{\"type\":\"batch\",\"seq\":%" PRIu64
			  ",\"gap\":%" PRIu64 ",\"events_seen\":%" PRIu64
			  ",\"hooks_skipped\":%" PRIu64 ",\"version\":%u}",
			  rb->seq, rb->seq - d->result_seq - 1,
			  rb->events_seen, rb->hooks_skipped, rb->version);
	emit(d);
	d->result_seq = rb->seq;
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
		print_result(d, rb);
		vigil__v1__result_batch__free_unpacked(rb, NULL);
		n++;
	}
	return n;
}

static void
print_exit(struct drive *d)
{
	vg_sbx_buf_printf(&d->out, "{\"type\":\"exit\",\"code\":%d,"
			  "\"signal\":%d}", d->exit_code, d->exit_signal);
	emit(d);
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
	print_exit(d);
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

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in place; returns the decoded length. */
static size_t
percent_decode(char *s)
{
	char *w = s;
	char *r = s;

	while (*r) {
		if (r[0] == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
			*w++ = (char)(hexval(r[1]) * 16 + hexval(r[2]));
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
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
parse_hook(const char *v)
{
	static const char *const names[] = { "", "protocolDetected",
					     "statusChanged", "periodicUpdate",
					     "flowEnd" };
	int i;

	for (i = 1; i < 5; i++) {
		if (strcmp(v, names[i]) == 0)
			return i;
	}
	return atoi(v);
}

static int
set_field(void *msg, const struct key *keys, const char *name, char *value)
{
	const struct key *k;
	char *base = msg;

	for (k = keys; k->name != NULL; k++) {
		if (strcmp(k->name, name) == 0)
			break;
	}
	if (k->name == NULL)
		return -1;
	switch (k->type) {
	case T_U32:
		*(uint32_t *)(base + k->off) = (uint32_t)strtoul(value, NULL, 0);
		break;
	case T_U64:
		*(uint64_t *)(base + k->off) = strtoull(value, NULL, 0);
		break;
	case T_BOOL:
		*(protobuf_c_boolean *)(base + k->off) =
			strcmp(value, "1") == 0 || strcmp(value, "true") == 0;
		break;
	case T_DOUBLE:
		*(double *)(base + k->off) = strtod(value, NULL);
		break;
	case T_HOOK:
		*(uint32_t *)(base + k->off) = (uint32_t)parse_hook(value);
		break;
	case T_L4:
		*(uint32_t *)(base + k->off) =
			strcmp(value, "TCP") == 0 ? 6 :
			strcmp(value, "UDP") == 0 ? 17 :
			strcmp(value, "ICMP") == 0 ? 1 :
						     (uint32_t)strtoul(value, NULL,
								       0);
		break;
	case T_STR: {
		size_t len = percent_decode(value);
		char *copy = malloc(len + 1);

		if (copy == NULL)
			return -1;
		memcpy(copy, value, len + 1);
		*(char **)(base + k->off) = copy;
		break;
	}
	case T_IP: {
		ProtobufCBinaryData *ip = (ProtobufCBinaryData *)(base + k->off);
		uint8_t addr[16];

		if (inet_pton(AF_INET, value, addr) == 1)
			ip->len = 4;
		else if (inet_pton(AF_INET6, value, addr) == 1)
			ip->len = 16;
		else
			return -1;
		ip->data = malloc(ip->len);
		if (ip->data == NULL)
			return -1;
		memcpy(ip->data, addr, ip->len);
		break;
	}
	case T_LIST: {
		size_t *n = (size_t *)(base + k->off);
		char ***items = (char ***)(base + k->off2);
		char *save = NULL;
		char *tok;

		for (tok = strtok_r(value, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save)) {
			char **grown = realloc(*items, (*n + 1) * sizeof(char *));

			if (grown == NULL)
				return -1;
			*items = grown;
			percent_decode(tok);
			(*items)[(*n)++] = strdup(tok);
		}
		break;
	}
	}
	return 0;
}

/* Command arguments that are not message fields. */
static bool
reserved(const char *key)
{
	return strcmp(key, "engine") == 0 || strcmp(key, "control") == 0 ||
	       strcmp(key, "n") == 0 || strcmp(key, "batch") == 0;
}

static int
fill(void *msg, const struct key *keys, char **argv, int argc,
     struct drive *d)
{
	int i;

	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		if (!reserved(argv[i])) {
			char *value = strdup(eq + 1);
			int rc = value ? set_field(msg, keys, argv[i], value) : -1;

			free(value);
			if (rc != 0) {
				drive_error(d, "unknown or invalid field '%s'",
					    argv[i]);
				*eq = '=';
				return -1;
			}
		}
		*eq = '=';
	}
	return 0;
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
	if (fill(fe, flow_keys, argv, argc, d) != 0 ||
	    push_msg((void ***)&p->batch.flows, &p->batch.n_flows, fe) != 0)
		vigil__v1__flow_event__free_unpacked(fe, NULL);
}

static void
cmd_snapshot(struct drive *d, const char *kind, char **argv, int argc)
{
	struct pending *p = &d->pending[d->engines];
	ProtobufCMessage *msg = NULL;
	const struct key *keys;
	void ***arr = NULL;
	size_t *n = NULL;

	if (strcmp(kind, "host") == 0) {
		Vigil__V1__HostSnapshot *h = calloc(1, sizeof(*h));

		vigil__v1__host_snapshot__init(h);
		msg = &h->base, keys = host_keys;
		arr = (void ***)&p->batch.hosts, n = &p->batch.n_hosts;
	} else if (strcmp(kind, "interface") == 0) {
		Vigil__V1__InterfaceSnapshot *i = calloc(1, sizeof(*i));

		vigil__v1__interface_snapshot__init(i);
		msg = &i->base, keys = interface_keys;
		arr = (void ***)&p->batch.interfaces, n = &p->batch.n_interfaces;
	} else if (strcmp(kind, "network") == 0) {
		Vigil__V1__NetworkSnapshot *nw = calloc(1, sizeof(*nw));

		vigil__v1__network_snapshot__init(nw);
		msg = &nw->base, keys = network_keys;
		arr = (void ***)&p->batch.networks, n = &p->batch.n_networks;
	} else {
		Vigil__V1__SystemSnapshot *s = calloc(1, sizeof(*s));

		vigil__v1__system_snapshot__init(s);
		msg = &s->base, keys = system_keys;
	}
	if (fill(msg, keys, argv, argc, d) != 0) {
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
		msg[i] = (uint8_t)(hexval(hex[2 * i]) * 16 +
				   hexval(hex[2 * i + 1]));
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
	emit(d);
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
	emit(d);
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
	if (fill(tmpl, flow_keys, argv, argc, d) != 0)
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
	emit(d);
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
			emit(d);
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
			emit(&d);
			kill(d.child, SIGKILL);
			check_child(&d, 0);
		}
		return 1;
	}
	vg_sbx_buf_printf(&d.out, "{\"type\":\"ready\",\"pid\":%d,"
			  "\"shm_fd\":%d,\"wake_fd\":%d,\"notify_fd\":%d}",
			  (int)d.child, d.shm.fd, d.wake_fd, d.notify_fd);
	emit(&d);
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
