/*
 * Connection to vigild; see vigild.h.
 *
 * One timer drives everything that is not a socket event: reconnecting
 * after VG_VIGILD_RETRY_MS, failing requests past their deadline, and
 * calling back the requests that failed inside vg_vigild_call(), so a
 * caller is never re-entered.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "vigild.h"

#define TICK_MS 100

struct call {
	struct call *next;
	uint64_t id;
	uint64_t deadline_ms;
	vg_vigild_cb cb;
	void *ctx;
	const char *error;       /* set once failed */
};

struct vg_vigild {
	uv_loop_t *loop;
	char path[108];
	uv_pipe_t pipe;
	uv_connect_t connect_req;
	uv_timer_t tick;
	bool pipe_open;          /* pipe initialised and not yet closed */
	bool connected;
	bool stopping;
	bool was_up;             /* for logging state changes once */
	uint64_t retry_at_ms;
	uint64_t next_id;
	struct call *waiting;    /* sent, waiting for a response */
	struct call *failed;     /* to call back on the next tick */
	uint8_t *buf;
	size_t used;
	size_t cap;
};

static void connect_now(struct vg_vigild *v);
static void on_tick(uv_timer_t *timer);

static void
fail_later(struct vg_vigild *v, struct call *c, const char *error)
{
	c->error = error;
	c->next = v->failed;
	v->failed = c;
	uv_timer_start(&v->tick, on_tick, 0, 0);
}

static void
run_failed(struct vg_vigild *v)
{
	while (v->failed != NULL) {
		struct call *c = v->failed;

		v->failed = c->next;
		c->cb(c->ctx, NULL, c->error);
		free(c);
	}
}

static void
fail_waiting(struct vg_vigild *v, const char *error)
{
	while (v->waiting != NULL) {
		struct call *c = v->waiting;

		v->waiting = c->next;
		c->error = error;
		c->next = v->failed;
		v->failed = c;
	}
}

static void
on_pipe_closed(uv_handle_t *handle)
{
	struct vg_vigild *v = handle->data;

	v->pipe_open = false;
	v->used = 0;
}

static void
drop_connection(struct vg_vigild *v, const char *why)
{
	if (v->connected || v->was_up)
		VG_WARN("web", "vigild socket=%s connection lost: %s; retrying every %d ms",
			v->path, why, VG_VIGILD_RETRY_MS);
	v->connected = false;
	v->was_up = false;
	fail_waiting(v, "connection to vigild lost");
	v->retry_at_ms = uv_now(v->loop) + VG_VIGILD_RETRY_MS;
	if (v->pipe_open && !uv_is_closing((uv_handle_t *)&v->pipe))
		uv_close((uv_handle_t *)&v->pipe, on_pipe_closed);
}

static void
deliver(struct vg_vigild *v, const uint8_t *data, size_t len)
{
	Vigil__Control__V1__Response *resp;
	struct call **p;

	resp = vigil__control__v1__response__unpack(NULL, len, data);
	if (resp == NULL) {
		drop_connection(v, "undecodable response");
		return;
	}
	for (p = &v->waiting; *p != NULL; p = &(*p)->next) {
		struct call *c = *p;

		if (c->id != resp->id)
			continue;
		*p = c->next;
		c->cb(c->ctx, resp, NULL);
		free(c);
		break;
	}
	/* A response to a request that already timed out is dropped. */
	vigil__control__v1__response__free_unpacked(resp, NULL);
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct vg_vigild *v = handle->data;

	if (v->cap - v->used < 65536 && v->cap < VG_VIGILD_RESPONSE_MAX + 4) {
		size_t cap = v->cap ? v->cap * 2 : 262144;
		uint8_t *p;

		if (cap > VG_VIGILD_RESPONSE_MAX + 4)
			cap = VG_VIGILD_RESPONSE_MAX + 4;
		p = realloc(v->buf, cap);
		if (p != NULL) {
			v->buf = p;
			v->cap = cap;
		}
	}
	(void)suggested;
	*buf = uv_buf_init((char *)v->buf + v->used,
			   (unsigned int)(v->cap - v->used));
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct vg_vigild *v = stream->data;
	size_t start = 0;

	(void)buf;
	if (nread < 0) {
		drop_connection(v, nread == UV_EOF ? "vigild closed it" :
						     uv_strerror((int)nread));
		return;
	}
	v->used += (size_t)nread;
	while (v->connected && v->used - start >= 4) {
		const uint8_t *p = v->buf + start;
		uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			       (uint32_t)p[2] << 8 | p[3];

		if (len > VG_VIGILD_RESPONSE_MAX) {
			drop_connection(v, "response frame over the limit");
			return;
		}
		if (v->used - start - 4 < len)
			break;
		deliver(v, p + 4, len);
		start += 4 + (size_t)len;
	}
	if (v->connected && start > 0) {
		memmove(v->buf, v->buf + start, v->used - start);
		v->used -= start;
	}
	if (v->failed != NULL)
		run_failed(v);
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct vg_vigild *v = req->data;

	if (v->stopping)
		return;
	if (status < 0) {
		if (v->was_up || v->retry_at_ms == 0)
			VG_WARN("web", "vigild socket=%s connect failed: %s; retrying every %d ms",
				v->path, uv_strerror(status),
				VG_VIGILD_RETRY_MS);
		v->was_up = false;
		v->retry_at_ms = uv_now(v->loop) + VG_VIGILD_RETRY_MS;
		if (!uv_is_closing((uv_handle_t *)&v->pipe))
			uv_close((uv_handle_t *)&v->pipe, on_pipe_closed);
		return;
	}
	if (uv_read_start((uv_stream_t *)&v->pipe, on_alloc, on_read) != 0) {
		drop_connection(v, "uv_read_start() failed");
		return;
	}
	v->connected = true;
	v->was_up = true;
	VG_INFO("web", "vigild socket=%s connected", v->path);
}

static void
connect_now(struct vg_vigild *v)
{
	uv_pipe_init(v->loop, &v->pipe, 0);
	v->pipe.data = v;
	v->pipe_open = true;
	v->connect_req.data = v;
	uv_pipe_connect(&v->connect_req, &v->pipe, v->path, on_connect);
}

static void
on_tick(uv_timer_t *timer)
{
	struct vg_vigild *v = timer->data;
	uint64_t now = uv_now(v->loop);
	struct call **p = &v->waiting;

	while (*p != NULL) {
		struct call *c = *p;

		if (c->deadline_ms > now) {
			p = &c->next;
			continue;
		}
		*p = c->next;
		c->error = "vigild did not answer in time";
		c->next = v->failed;
		v->failed = c;
	}
	run_failed(v);
	if (!v->pipe_open && !v->stopping && now >= v->retry_at_ms)
		connect_now(v);
	uv_timer_start(&v->tick, on_tick, TICK_MS, 0);
}

struct vg_vigild *
vg_vigild_start(uv_loop_t *loop, const char *path)
{
	struct vg_vigild *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	v->loop = loop;
	snprintf(v->path, sizeof(v->path), "%s", path);
	v->next_id = 1;
	uv_timer_init(loop, &v->tick);
	v->tick.data = v;
	connect_now(v);
	uv_timer_start(&v->tick, on_tick, TICK_MS, 0);
	return v;
}

static void
on_tick_closed(uv_handle_t *handle)
{
	free(handle->data);
}

void
vg_vigild_stop(struct vg_vigild *v)
{
	if (v == NULL)
		return;
	v->stopping = true;
	fail_waiting(v, "vigil-web is stopping");
	run_failed(v);
	/* Close callbacks run in order: the pipe's before the tick's frees v. */
	if (v->pipe_open && !uv_is_closing((uv_handle_t *)&v->pipe))
		uv_close((uv_handle_t *)&v->pipe, on_pipe_closed);
	free(v->buf);
	v->buf = NULL;
	v->cap = 0;
	uv_close((uv_handle_t *)&v->tick, on_tick_closed);
}

bool
vg_vigild_connected(const struct vg_vigild *v)
{
	return v->connected;
}

static void
on_written(uv_write_t *req, int status)
{
	(void)status;
	free(req);
}

int
vg_vigild_call(struct vg_vigild *v, Vigil__Control__V1__Request *req,
	       vg_vigild_cb cb, void *ctx)
{
	struct call *c = calloc(1, sizeof(*c));
	uv_write_t *w;
	uint8_t *frame;
	uv_buf_t buf;
	size_t len;

	if (c == NULL)
		return -ENOMEM;
	c->cb = cb;
	c->ctx = ctx;
	c->id = v->next_id++;
	c->deadline_ms = uv_now(v->loop) + VG_VIGILD_TIMEOUT_MS;
	if (!v->connected) {
		fail_later(v, c, "vigild is not running or its socket is not reachable");
		return 0;
	}
	req->version = VIGIL__CONTROL__V1__CONTROL_VERSION__CONTROL_VERSION_1;
	req->id = c->id;
	len = vigil__control__v1__request__get_packed_size(req);
	w = malloc(sizeof(*w) + 4 + len);
	if (w == NULL) {
		free(c);
		return -ENOMEM;
	}
	frame = (uint8_t *)(w + 1);
	frame[0] = (uint8_t)(len >> 24);
	frame[1] = (uint8_t)(len >> 16);
	frame[2] = (uint8_t)(len >> 8);
	frame[3] = (uint8_t)len;
	vigil__control__v1__request__pack(req, frame + 4);
	buf = uv_buf_init((char *)frame, (unsigned int)(len + 4));
	if (uv_write(w, (uv_stream_t *)&v->pipe, &buf, 1, on_written) != 0) {
		free(w);
		fail_later(v, c, "write to vigild failed");
		drop_connection(v, "write failed");
		return 0;
	}
	c->next = v->waiting;
	v->waiting = c;
	return 0;
}
