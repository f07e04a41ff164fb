/*
 * Plugin pages, rendered out of process.
 *
 * A plugin's page is Lua code, so vigil-web never runs it itself: each
 * request starts one `vigil-sandbox --page` process (sandbox/page.c),
 * writes a JSON request on its standard input and answers with the JSON
 * page it prints, a title and blocks of plain strings and numbers. The
 * sandbox isolates itself exactly as the hook sandboxes do before any
 * plugin code runs. The sandbox stops a Lua call that runs longer than
 * the larger of plugins.hook_budget_ms and 1 s, and vigil-web kills the
 * process when it overruns PAGE_DEADLINE_MS or prints more than
 * PAGE_OUTPUT_MAX bytes. Both time limits get 504. At most
 * PAGES_RUNNING_MAX run at once, so a slow or hostile page costs one
 * process for a few seconds and never blocks the event loop.
 *
 * The data a page sees is gathered here first: vigild's counters (when
 * vigild answers), the plugin's engaged and flow alerts from the alert
 * store (when configured), the query string and the caller's role.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alert_db.h"
#include "common/log.h"
#include "plugin_pages.h"
#include "routes.h"

#define PAGE_DEADLINE_MS 5000
#define PAGE_OUTPUT_MAX (1u << 20)
#define PAGES_RUNNING_MAX 4
#define PAGE_ALERTS_MAX 200
#define NAME_LEN_MAX 60

/* Exit statuses of vigil-sandbox --page (sandbox/page.h). */
#define PAGE_EXIT_SCRIPT 1
#define PAGE_EXIT_NOT_FOUND 4
#define PAGE_EXIT_TIMEOUT 6

typedef Vigil__Control__V1__Response Response;

struct page_job {
	uv_process_t proc;
	uv_pipe_t in;
	uv_pipe_t out;
	uv_timer_t timer;
	uv_write_t write;
	struct vg_pending *pending;
	struct vg_jbuf input;
	char *output;
	size_t out_len;
	size_t out_cap;
	int handles;                   /* open libuv handles */
	int64_t exit_status;
	int term_signal;
	bool exited;
	bool eof;
	bool timed_out;
	bool too_large;
	bool answered;
};

/* Page requests holding a slot, from the check in front of their first
 * asynchronous step until their pending request ends. */
static unsigned int pages_running;

static bool
valid_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > NAME_LEN_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static void
release_slot(struct vg_pending *p)
{
	(void)p;
	pages_running--;
}

/*
 * Creates the pending request of a page or the menu and reserves one of
 * the PAGES_RUNNING_MAX slots for it until vg_pending_finish. Sends 503
 * when every slot is taken, or 500, and returns NULL.
 */
static struct vg_pending *
reserve_slot(struct vg_web *web, h2o_req_t *req)
{
	struct vg_pending *p;

	if (pages_running >= PAGES_RUNNING_MAX) {
		vg_http_error(req, 503, "busy", NULL,
			      "too many plugin pages are being rendered; retry");
		return NULL;
	}
	p = vg_pending_new(web, req);
	if (p == NULL) {
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return NULL;
	}
	/* Counted now, not when the sandbox starts: the counters call to
	 * vigild comes first, and requests arriving meanwhile must see the
	 * slot taken. */
	pages_running++;
	p->on_finish = release_slot;
	return p;
}

/* vigil-sandbox: plugins.sandbox_path, else beside vigil-web or in the
 * build tree's sandbox/ folder. */
static const char *
sandbox_path(const struct vg_web *web)
{
	static char path[VG_PATH_MAX];
	char self[VG_PATH_MAX];
	char *slash;
	ssize_t n;

	if (web->cfg.sandbox_path[0] != '\0')
		return web->cfg.sandbox_path;
	if (path[0] != '\0')
		return path;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return "vigil-sandbox";
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash != NULL)
		*slash = '\0';
	snprintf(path, sizeof(path), "%.4000s/vigil-sandbox", self);
	if (access(path, X_OK) == 0)
		return path;
	snprintf(path, sizeof(path), "%.4000s/../sandbox/vigil-sandbox", self);
	if (access(path, X_OK) == 0)
		return path;
	path[0] = '\0';
	return "vigil-sandbox";
}

/* ---- the sandbox process ---- */

static void
on_handle_closed(uv_handle_t *h)
{
	struct page_job *job = h->data;

	if (--job->handles > 0)
		return;
	vg_jbuf_free(&job->input);
	free(job->output);
	free(job);
}

static void
close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_handle_closed);
}

/* Sends the error the sandbox printed, or <code> with <fallback>. */
static void
send_sandbox_error(h2o_req_t *req, struct page_job *job, int status,
		   const char *code, const char *fallback)
{
	struct vg_json_member m[1] = { { "message", NULL } };
	char err[64];

	if (job->output != NULL &&
	    vg_json_parse_members(job->output, job->out_len, m, 1, err,
				  sizeof(err), NULL, 0) == 0 &&
	    m[0].value != NULL)
		vg_http_error(req, status, code, NULL, "%s", m[0].value);
	else
		vg_http_error(req, status, code, NULL, "%s", fallback);
	vg_json_members_free(m, 1);
}

/* Answers once the process has exited and its output is read. */
static void
maybe_answer(struct page_job *job)
{
	struct vg_json_member none[1] = { { "-", NULL } };
	h2o_req_t *req;
	char err[64];

	if (job->answered || !job->exited || (!job->eof && !job->timed_out &&
					      !job->too_large))
		return;
	job->answered = true;
	close_handle((uv_handle_t *)&job->timer);
	close_handle((uv_handle_t *)&job->out);
	close_handle((uv_handle_t *)&job->in);
	close_handle((uv_handle_t *)&job->proc);
	req = vg_pending_finish(job->pending);
	job->pending = NULL;
	if (req == NULL)
		return;
	if (job->timed_out) {
		vg_http_error(req, 504, "plugin_page_timeout", NULL,
			      "the page did not finish within %d ms",
			      PAGE_DEADLINE_MS);
	} else if (job->too_large) {
		/* The sandbox rejects a page over the same limit itself
		 * (plugin_page_error), so only the process can get here. */
		vg_http_error(req, 502, "plugin_page_failed", NULL,
			      "the page sandbox wrote more than %u bytes to its standard output",
			      PAGE_OUTPUT_MAX);
	} else if (job->term_signal != 0) {
		VG_WARN("web", "page sandbox killed by signal=%d",
			job->term_signal);
		vg_http_error(req, 502, "plugin_page_failed", NULL,
			      "the page sandbox was killed by signal %d",
			      job->term_signal);
	} else if (job->exit_status == PAGE_EXIT_NOT_FOUND) {
		send_sandbox_error(req, job, 404, "not_found", "no such page");
	} else if (job->exit_status == PAGE_EXIT_TIMEOUT) {
		send_sandbox_error(req, job, 504, "plugin_page_timeout",
				   "the page overran its time budget");
	} else if (job->exit_status == PAGE_EXIT_SCRIPT) {
		send_sandbox_error(req, job, 502, "plugin_page_error",
				   "the page script failed");
	} else if (job->exit_status != 0 || job->output == NULL ||
		   vg_json_parse_members(job->output, job->out_len, none, 0,
					 err, sizeof(err), NULL, 0) != 0) {
		vg_json_members_free(none, 1);
		VG_WARN("web", "page sandbox exit=%" PRId64 " output_bytes=%zu",
			job->exit_status, job->out_len);
		vg_http_error(req, 502, "plugin_page_failed", NULL,
			      "the page sandbox failed (exit %" PRId64 "); see vigil-web's log",
			      job->exit_status);
	} else {
		vg_json_members_free(none, 1);
		vg_http_send_json(req, 200, job->output, job->out_len);
	}
}

static void
on_sandbox_exit(uv_process_t *proc, int64_t status, int signal_number)
{
	struct page_job *job = proc->data;

	job->exited = true;
	job->exit_status = status;
	job->term_signal = job->timed_out || job->too_large ? 0 :
							      signal_number;
	maybe_answer(job);
}

static void
on_timeout(uv_timer_t *timer)
{
	struct page_job *job = timer->data;

	job->timed_out = true;
	uv_process_kill(&job->proc, SIGKILL);
	VG_WARN("web", "page sandbox pid=%d overran deadline_ms=%d, killed",
		job->proc.pid, PAGE_DEADLINE_MS);
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct page_job *job = h->data;

	if (job->out_cap - job->out_len < suggested) {
		size_t cap = job->out_len + suggested + 1;
		char *grown = realloc(job->output, cap);

		if (grown == NULL) {
			*buf = uv_buf_init(NULL, 0);
			return;
		}
		job->output = grown;
		job->out_cap = cap;
	}
	*buf = uv_buf_init(job->output + job->out_len,
			   (unsigned int)(job->out_cap - job->out_len - 1));
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct page_job *job = s->data;

	(void)buf;
	if (n > 0) {
		job->out_len += (size_t)n;
		job->output[job->out_len] = '\0';
		if (job->out_len > PAGE_OUTPUT_MAX && !job->too_large) {
			job->too_large = true;
			uv_read_stop(s);
			uv_process_kill(&job->proc, SIGKILL);
			VG_WARN("web", "page sandbox pid=%d wrote over output_bytes=%u, killed",
				job->proc.pid, PAGE_OUTPUT_MAX);
		}
		return;
	}
	if (n < 0) {
		job->eof = true;
		uv_read_stop(s);
		maybe_answer(job);
	}
}

static void
on_written(uv_write_t *w, int status)
{
	struct page_job *job = w->data;

	(void)status; /* a sandbox that exits early closes the pipe */
	close_handle((uv_handle_t *)&job->in);
}

static void
init_handle(struct page_job *job, uv_handle_t *h)
{
	h->data = job;
	job->handles++;
}

/*
 * Starts the sandbox with job->input as its request. On failure answers
 * the request and frees <job>.
 */
static void
start_sandbox(struct vg_web *web, struct page_job *job)
{
	const struct vg_config *cfg = &web->cfg;
	uv_process_options_t options;
	uv_stdio_container_t stdio[3];
	char dirs[VG_MAX_PLUGIN_DIRS * (VG_PATH_MAX + 1)] = "";
	char memory[16];
	char budget[16];
	char *args[12];
	uv_buf_t buf;
	unsigned int i;
	int rc;

	for (i = 0; i < cfg->plugin_dir_count; i++) {
		if (i > 0)
			strcat(dirs, ",");
		strcat(dirs, cfg->plugin_dirs[i]);
	}
	snprintf(memory, sizeof(memory), "%u", cfg->sandbox_memory_mb);
	snprintf(budget, sizeof(budget), "%u", cfg->hook_budget_ms);
	args[0] = (char *)sandbox_path(web);
	args[1] = "--page";
	args[2] = "--plugins";
	args[3] = dirs;
	args[4] = "--memory-mb";
	args[5] = memory;
	args[6] = "--hook-budget-ms";
	args[7] = budget;
	args[8] = "--user";
	args[9] = (char *)cfg->sandbox_user;
	args[10] = NULL;

	uv_pipe_init(web->loop, &job->in, 0);
	init_handle(job, (uv_handle_t *)&job->in);
	uv_pipe_init(web->loop, &job->out, 0);
	init_handle(job, (uv_handle_t *)&job->out);
	uv_timer_init(web->loop, &job->timer);
	init_handle(job, (uv_handle_t *)&job->timer);
	stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
	stdio[0].data.stream = (uv_stream_t *)&job->in;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&job->out;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = STDERR_FILENO;
	memset(&options, 0, sizeof(options));
	options.file = args[0];
	options.args = args;
	options.exit_cb = on_sandbox_exit;
	options.stdio = stdio;
	options.stdio_count = 3;
	job->proc.data = job;
	rc = uv_spawn(web->loop, &job->proc, &options);
	if (rc != 0) {
		h2o_req_t *req = vg_pending_finish(job->pending);

		VG_ERR("web", "uv_spawn(%s) failed: %s", args[0],
		       uv_strerror(rc));
		job->pending = NULL;
		job->answered = true;
		if (req != NULL)
			vg_http_error(req, 503, "plugin_page_failed", NULL,
				      "vigil-sandbox cannot be started: %s; set plugins.sandbox_path",
				      uv_strerror(rc));
		/* libuv initialised the process handle: it is closed too. */
		job->handles++;
		close_handle((uv_handle_t *)&job->proc);
		close_handle((uv_handle_t *)&job->in);
		close_handle((uv_handle_t *)&job->out);
		close_handle((uv_handle_t *)&job->timer);
		return;
	}
	job->handles++; /* the process handle */
	uv_timer_start(&job->timer, on_timeout, PAGE_DEADLINE_MS, 0);
	uv_read_start((uv_stream_t *)&job->out, on_alloc, on_read);
	buf = uv_buf_init(job->input.data, (unsigned int)job->input.len);
	job->write.data = job;
	if (uv_write(&job->write, (uv_stream_t *)&job->in, &buf, 1,
		     on_written) != 0)
		close_handle((uv_handle_t *)&job->in);
}

static struct page_job *
job_new(struct vg_pending *p)
{
	struct page_job *job = calloc(1, sizeof(*job));

	if (job != NULL)
		job->pending = p;
	return job;
}

/* ---- the menu ---- */

void
vg_plugin_pages_menu(struct vg_web *web, h2o_req_t *req,
		     struct vg_params *params)
{
	struct page_job *job;
	struct vg_pending *p;

	if (params->count > 0) {
		vg_http_error(req, 400, "invalid_parameter",
			      params->items[0].name, "unknown parameter '%s'",
			      params->items[0].name);
		return;
	}
	if (web->cfg.plugin_dir_count == 0) {
		vg_http_send_json(req, 200, "{\"pages\":[],\"errors\":[]}", 24);
		return;
	}
	p = reserve_slot(web, req);
	if (p == NULL)
		return;
	job = job_new(p);
	if (job == NULL) {
		vg_pending_finish(p);
		vg_http_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	vg_jbuf_lit(&job->input, "{\"menu\":true}");
	/* NOTE: the menu is rendered again on every request; the UI asks
	 * once per page load, which costs one short-lived process each. */
	start_sandbox(web, job);
}

/* ---- one page ---- */

static void
put_alerts(struct vg_web *web, struct vg_jbuf *b, const char *plugin)
{
	static const enum vg_alert_view views[] = { VG_ALERT_VIEW_ENGAGED,
						    VG_ALERT_VIEW_FLOW };
	struct vg_alert_rows rows = { 0 };
	const char *path = web->cfg.alerts.database;
	char text[4096];
	char err[256];
	size_t count = 0;
	size_t v;
	size_t i;

	if (web->alerts == NULL && path[0] != '\0')
		web->alerts = vg_alert_db_open(path, true, err, sizeof(err));
	if (web->alerts == NULL) {
		vg_jbuf_lit(b, "null");
		return;
	}
	vg_jbuf_lit(b, "[");
	for (v = 0; v < 2; v++) {
		struct vg_alert_query q = { .view = views[v], .limit = 1000 };

		if (vg_alert_db_query(web->alerts, &q, &rows) != 0)
			continue;
		for (i = 0; i < rows.count && count < PAGE_ALERTS_MAX; i++) {
			size_t len;

			if (strcmp(rows.rows[i].plugin, plugin) != 0)
				continue;
			len = vg_alert_to_json(&rows.rows[i], NULL, text,
					       sizeof(text));
			/* An alert whose details do not fit is left out. */
			if (len >= sizeof(text))
				continue;
			if (count++ > 0)
				vg_jbuf_lit(b, ",");
			vg_jbuf_raw(b, text, len);
		}
		vg_alert_rows_free(&rows);
	}
	vg_jbuf_lit(b, "]");
	/* NOTE: the plugin's alerts are picked from the newest 1000 of each
	 * view, because the alert store has no plugin filter; a plugin whose
	 * alerts are drowned by others' sees fewer than it has. */
}

static void
put_stats(struct vg_jbuf *b, const Response *resp)
{
	const Vigil__Control__V1__StatsResponse *st = resp->stats;
	size_t i;

	vg_jbuf_lit(b, ",\"interfaces\":[");
	for (i = 0; i < st->n_ports; i++) {
		const Vigil__Control__V1__Port *port = st->ports[i];

		vg_jbuf_raw(b, i > 0 ? ",{" : "{", i > 0 ? 2 : 1);
		vg_jbuf_key(b, true, "name");
		vg_jbuf_string(b, port->name, strlen(port->name));
		vg_jbuf_printf(b, ",\"ipackets\":%" PRIu64 ",\"ibytes\":%" PRIu64
			       ",\"imissed\":%" PRIu64 ",\"ierrors\":%" PRIu64 "}",
			       port->ipackets, port->ibytes, port->imissed,
			       port->ierrors);
	}
	vg_jbuf_lit(b, "],\"counters\":{");
	for (i = 0; i < st->n_counters; i++) {
		vg_jbuf_key(b, i == 0, st->counters[i]->name);
		vg_jbuf_printf(b, "%" PRIu64, st->counters[i]->value);
	}
	vg_jbuf_lit(b, "}");
	vg_jbuf_key(b, false, "packet_time");
	vg_jbuf_time(b, st->packet_time_us);
}

static void
page_stats_answered(struct vg_pending *p, const Response *resp,
		    const char *error)
{
	struct vg_web *web = p->web;
	char *slash = strchr(p->text, '/');
	const char *plugin = p->text;
	const char *page = slash + 1;
	struct page_job *job;
	struct vg_jbuf *b;
	unsigned int i;

	*slash = '\0';
	job = job_new(p);
	if (job == NULL) {
		h2o_req_t *req = vg_pending_finish(p);

		if (req != NULL)
			vg_http_error(req, 500, "internal", NULL,
				      "out of memory");
		return;
	}
	b = &job->input;
	vg_jbuf_lit(b, "{\"plugin\":");
	vg_jbuf_string(b, plugin, strlen(plugin));
	vg_jbuf_lit(b, ",\"page\":");
	vg_jbuf_string(b, page, strlen(page));
	vg_jbuf_lit(b, ",\"data\":{\"plugin\":");
	vg_jbuf_string(b, plugin, strlen(plugin));
	vg_jbuf_lit(b, ",\"role\":");
	vg_jbuf_string(b, p->number ? "admin" : "readonly",
		       p->number ? 5 : 8);
	vg_jbuf_lit(b, ",\"params\":{");
	for (i = 0; i < p->params.count; i++) {
		vg_jbuf_key(b, i == 0, p->params.items[i].name);
		vg_jbuf_string(b, p->params.items[i].value,
			       strlen(p->params.items[i].value));
	}
	vg_jbuf_lit(b, "}");
	if (resp != NULL && resp->stats != NULL && resp->status != NULL &&
	    resp->status->code == VIGIL__CONTROL__V1__STATUS_CODE__STATUS_OK) {
		vg_jbuf_lit(b, ",\"vigild\":true");
		put_stats(b, resp);
	} else {
		vg_jbuf_lit(b, ",\"vigild\":false,\"vigild_error\":");
		vg_jbuf_string(b, error != NULL ? error : "no counters",
			       strlen(error != NULL ? error : "no counters"));
	}
	vg_jbuf_lit(b, ",\"alerts\":");
	put_alerts(web, b, plugin);
	vg_jbuf_lit(b, "}}");
	if (b->failed) {
		h2o_req_t *req = vg_pending_finish(p);

		vg_jbuf_free(b);
		free(job);
		if (req != NULL)
			vg_http_error(req, 500, "internal", NULL,
				      "out of memory");
		return;
	}
	start_sandbox(web, job);
}

void
vg_plugin_pages_page(struct vg_web *web, h2o_req_t *req, const char *rest,
		     const struct vg_caller *caller, struct vg_params *params)
{
	const char *mid = strstr(rest, "/pages/");
	Vigil__Control__V1__StatsRequest body;
	Vigil__Control__V1__Request r;
	struct vg_pending *p;
	size_t plugin_len;
	const char *page;

	if (mid == NULL) {
		vg_http_error(req, 404, "not_found", NULL, "no such endpoint");
		return;
	}
	plugin_len = (size_t)(mid - rest);
	page = mid + 7;
	if (!valid_name(rest, plugin_len) || !valid_name(page, strlen(page))) {
		vg_http_error(req, 404, "not_found", NULL,
			      "plugin and page names are 1..%d letters, digits, _ or -",
			      NAME_LEN_MAX);
		return;
	}
	if (web->cfg.plugin_dir_count == 0) {
		vg_http_error(req, 404, "not_found", NULL,
			      "no plugins are configured");
		return;
	}
	p = reserve_slot(web, req);
	if (p == NULL)
		return;
	snprintf(p->text, sizeof(p->text), "%.*s/%s", (int)plugin_len, rest,
		 page);
	p->params = *params;
	p->number = caller->role == VG_ROLE_ADMIN;
	/* The counters first; the page renders without them when vigild is
	 * down. */
	vg_stats_request(&r, &body);
	p->next = page_stats_answered;
	vg_pending_call(p, &r);
}
