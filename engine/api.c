/*
 * The API socket; see api.h and common/proto/vigil_control.proto.
 *
 * Each connection accumulates bytes until one whole frame is in, decodes
 * it and sends its response. A frame longer than VG_API_REQUEST_MAX closes the
 * connection, so a client cannot make vigild buffer without bound, and a
 * client that stops reading its responses is cut off once
 * VG_API_QUEUE_MAX bytes wait for it.
 *
 * Responses are built with protobuf-c structures whose strings and
 * arrays come from a per-response arena, freed in one go after packing.
 *
 * This file owns the socket, the connections and the frames, and sends
 * each request to its handler: api_flows.c for flow and host queries,
 * api_stats.c for counters, plugins and reload.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "api.h"
#include "api_internal.h"
#include "api_scans.h"

#define VG_API_QUEUE_MAX (64u << 20) /* response bytes queued per client */

/* ---- connections and frames ---- */

static void
on_client_closed(uv_handle_t *handle)
{
	struct api_client *c = handle->data;
	struct vg_api *api = c->api;
	struct api_client **p;

	for (p = &api->clients; *p != NULL; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	c->closed = true;
	if (c->jobs == 0) {
		free(c->buf);
		free(c);
	}
	api->open_handles--;
	vg_api_free_when_idle(api);
}

void
vg_api_close_client(struct api_client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_read_stop((uv_stream_t *)&c->pipe);
	uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

static void
on_written(uv_write_t *req, int status)
{
	(void)status;
	free(req);
}

/* Packs <resp> into one frame and queues it; closes <c> on failure. */
void
vg_api_send_response(struct api_client *c, Response *resp)
{
	size_t len = vigil__control__v1__response__get_packed_size(resp);
	uv_write_t *req;
	uint8_t *frame;
	uv_buf_t buf;

	if (c->closing)
		return;
	if (len > VG_API_RESPONSE_MAX ||
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >
		    VG_API_QUEUE_MAX) {
		VG_WARN("engine", "api response=%zu bytes queued=%zu: closing the connection",
			len,
			uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe));
		vg_api_close_client(c);
		return;
	}
	req = malloc(sizeof(*req) + 4 + len);
	if (req == NULL) {
		vg_api_close_client(c);
		return;
	}
	frame = (uint8_t *)(req + 1);
	frame[0] = (uint8_t)(len >> 24);
	frame[1] = (uint8_t)(len >> 16);
	frame[2] = (uint8_t)(len >> 8);
	frame[3] = (uint8_t)len;
	vigil__control__v1__response__pack(resp, frame + 4);
	buf = uv_buf_init((char *)frame, (unsigned int)(len + 4));
	if (uv_write(req, (uv_stream_t *)&c->pipe, &buf, 1, on_written) != 0) {
		free(req);
		vg_api_close_client(c);
	}
}

void
vg_api_init_response(Response *resp, Vigil__Control__V1__Status *status,
		     uint64_t id)
{
	vigil__control__v1__response__init(resp);
	vigil__control__v1__status__init(status);
	resp->version = VIGIL__CONTROL__V1__CONTROL_VERSION__CONTROL_VERSION_1;
	resp->id = id;
	resp->status = status;
}

void
vg_api_send_error(struct api_client *c, uint64_t id,
		  Vigil__Control__V1__StatusCode code, const char *field,
		  const char *message)
{
	Vigil__Control__V1__Status status;
	Response resp;

	vg_api_init_response(&resp, &status, id);
	status.code = code;
	status.message = (char *)message;
	status.field = (char *)(field != NULL ? field : "");
	vg_api_send_response(c, &resp);
}

static void
handle_request(struct api_client *c, const uint8_t *data, size_t len)
{
	Request *req = vigil__control__v1__request__unpack(NULL, len, data);

	if (req == NULL) {
		VG_WARN("engine", "api request of %zu bytes does not decode, closing the connection",
			len);
		vg_api_close_client(c);
		return;
	}
	if (req->version !=
	    VIGIL__CONTROL__V1__CONTROL_VERSION__CONTROL_VERSION_1) {
		vg_api_send_error(c, req->id,
				  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_UNSUPPORTED_VERSION,
				  "version", "vigild speaks version 1 of this protocol");
		goto done;
	}
	switch (req->body_case) {
	case VIGIL__CONTROL__V1__REQUEST__BODY_FLOWS:
		vg_api_handle_flows(c, req);
		break;
	case VIGIL__CONTROL__V1__REQUEST__BODY_FLOW:
		vg_api_handle_flow(c, req);
		break;
	case VIGIL__CONTROL__V1__REQUEST__BODY_HOSTS:
		vg_api_handle_hosts(c, req);
		break;
	case VIGIL__CONTROL__V1__REQUEST__BODY_STATS:
		vg_api_handle_stats(c, req);
		break;
	case VIGIL__CONTROL__V1__REQUEST__BODY_PLUGINS:
		vg_api_handle_plugins(c, req);
		break;
	case VIGIL__CONTROL__V1__REQUEST__BODY_RELOAD:
		vg_api_handle_reload(c, req);
		break;
	default:
		vg_api_send_error(c, req->id,
				  VIGIL__CONTROL__V1__STATUS_CODE__STATUS_INVALID_ARGUMENT,
				  "body", "unknown or missing request body");
		break;
	}
done:
	vigil__control__v1__request__free_unpacked(req, NULL);
}

static uint32_t
frame_length(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct api_client *c = handle->data;

	(void)suggested;
	*buf = uv_buf_init((char *)c->buf + c->used,
			   (unsigned int)(VG_API_REQUEST_MAX + 4 - c->used));
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct api_client *c = stream->data;
	size_t start = 0;

	(void)buf;
	if (nread < 0) {
		vg_api_close_client(c);
		return;
	}
	c->used += (size_t)nread;
	while (!c->closing && c->used - start >= 4) {
		uint32_t len = frame_length(c->buf + start);

		if (len > VG_API_REQUEST_MAX) {
			VG_WARN("engine", "api request frame=%" PRIu32 " bytes exceeds the limit of %u, closing the connection",
				len, VG_API_REQUEST_MAX);
			vg_api_close_client(c);
			return;
		}
		if (c->used - start - 4 < len)
			break;
		handle_request(c, c->buf + start + 4, len);
		start += 4 + (size_t)len;
	}
	if (start > 0 && !c->closing) {
		memmove(c->buf, c->buf + start, c->used - start);
		c->used -= start;
	}
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct vg_api *api = server->data;
	struct api_client *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->buf = malloc(VG_API_REQUEST_MAX + 4);
	if (c->buf == NULL) {
		free(c);
		return;
	}
	c->api = api;
	c->next = api->clients;
	api->clients = c;
	uv_pipe_init(server->loop, &c->pipe, 0);
	c->pipe.data = c;
	/*
	 * A client's handle keeps the API alive like the server's: libuv runs
	 * close callbacks newest first, so at stop the server's would
	 * otherwise free the API before the clients' callbacks read it.
	 */
	api->open_handles++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) != 0)
		vg_api_close_client(c);
}

/* ---- start and stop ---- */

/*
 * Removes a socket file that a vigild which died left at <path>. A file
 * that is not a socket, or a socket that another process listens on, is
 * left alone and reported.
 */
static int
remove_stale_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;
	int rc;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return UV_EEXIST;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return uv_translate_sys_error(errno);
	rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	close(fd);
	if (rc == 0)
		return UV_EADDRINUSE;
	unlink(path);
	return 0;
}

static void
on_handle_closed(uv_handle_t *handle)
{
	struct vg_api *api = handle->data;

	api->open_handles--;
	vg_api_free_when_idle(api);
}

/* Sets the table bytes that one flow scan and one host scan read. */
static void
size_scans(struct vg_api *api)
{
	unsigned int e;

	for (e = 0; e < api->env.engine_count; e++) {
		const struct vg_engine *engine = api->engines[e];

		api->flow_bytes += (uint64_t)engine->table->capacity *
				   sizeof(struct vg_flow);
		if (engine->hosts != NULL)
			api->host_bytes += (uint64_t)engine->hosts->capacity *
					   sizeof(struct vg_host);
	}
}

struct vg_api *
vg_api_start(uv_loop_t *loop, const char *path, const struct vg_api_env *env)
{
	struct vg_api *api;
	unsigned int e;
	int rc;

	if (strlen(path) >= sizeof(api->path) || env->engine_count == 0) {
		VG_ERR("engine", "api socket=%s: path too long or no engine lcore",
		       path);
		return NULL;
	}
	api = calloc(1, sizeof(*api));
	if (api == NULL)
		return NULL;
	snprintf(api->path, sizeof(api->path), "%s", path);
	api->env = *env;
	api->loop = loop;
	api->started_ms = uv_now(loop);
	for (e = 0; e < env->engine_count; e++)
		api->engines[e] = env->engines[e]->engine;
	size_scans(api);
	vg_scans_init(&api->scans, env->cfg->web.query_cache_ms,
		      (uint64_t)env->cfg->web.query_scan_mb_per_second << 20);

	uv_pipe_init(loop, &api->server, 0);
	api->server.data = api;
	uv_timer_init(loop, &api->timer);
	api->timer.data = api;
	api->open_handles = 2;
	rc = remove_stale_socket(path);
	if (rc == 0)
		rc = uv_pipe_bind(&api->server, path);
	if (rc == 0) {
		chmod(path, 0660);
		rc = uv_listen((uv_stream_t *)&api->server, 16, on_connection);
	}
	if (rc != 0) {
		VG_ERR("engine", "api socket=%s listen failed: %s%s", path,
		       uv_strerror(rc),
		       rc == UV_EEXIST ? " (the path is not a socket)" :
		       rc == UV_EADDRINUSE ? " (another process listens there)" :
					     "");
		uv_close((uv_handle_t *)&api->server, on_handle_closed);
		uv_close((uv_handle_t *)&api->timer, on_handle_closed);
		return NULL;
	}
	VG_INFO("engine", "api socket=%s listening query_cache_ms=%u query_scan_mb_per_second=%u flow_scan_bytes=%" PRIu64 " host_scan_bytes=%" PRIu64,
		path, env->cfg->web.query_cache_ms,
		env->cfg->web.query_scan_mb_per_second, api->flow_bytes,
		api->host_bytes);
	return api;
}

/* Drops the scans still waiting for the budget, with their requests. */
static void
drop_waiting_scans(struct vg_api *api)
{
	struct vg_scan *scan = api->scans.list;

	while (scan != NULL) {
		struct vg_scan *next = scan->next;

		if (scan->state == VG_SCAN_WAITING) {
			vg_scans_done(&api->scans, scan, -ECANCELED);
			vg_api_answer_waiters(api, scan);
			vg_scans_remove(&api->scans, scan);
		}
		scan = next;
	}
}

void
vg_api_stop(struct vg_api *api)
{
	struct api_client *c;

	if (api == NULL)
		return;
	for (c = api->clients; c != NULL; c = c->next)
		vg_api_close_client(c);
	drop_waiting_scans(api);
	unlink(api->path);
	uv_timer_stop(&api->timer);
	uv_close((uv_handle_t *)&api->timer, on_handle_closed);
	uv_close((uv_handle_t *)&api->server, on_handle_closed);
}
