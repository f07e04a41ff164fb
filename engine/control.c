/*
 * The control socket; see control.h.
 *
 * Each connection reads into a fixed buffer of VG_CONTROL_LINE_MAX bytes:
 * a longer line is answered with an error and the connection closed, so a
 * client cannot make vigild's control thread allocate without bound. A
 * line with a NUL byte is not run, and the reply is an error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "control.h"

#define REPLY_MAX 16384
#define WRITE_QUEUE_MAX (1u << 20) /* reply bytes queued for one client */

struct client;

struct vg_control {
	uv_pipe_t server;
	char path[256];
	vg_control_fn fn;
	void *ctx;
	struct client *clients;  /* open connections */
};

struct client {
	uv_pipe_t pipe;
	struct vg_control *control;
	struct client *next;
	size_t used;
	char line[VG_CONTROL_LINE_MAX];
	char read_buf[VG_CONTROL_LINE_MAX];
};

struct reply {
	uv_write_t req;
	char data[REPLY_MAX + 1];
};

static void
on_client_closed(uv_handle_t *handle)
{
	struct client *c = handle->data;
	struct client **p;

	for (p = &c->control->clients; *p != NULL; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	free(c);
}

static void
close_client(struct client *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->pipe))
		uv_close((uv_handle_t *)&c->pipe, on_client_closed);
}

static void
on_written(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
}

static void
send_line(struct client *c, const char *text)
{
	struct reply *r = malloc(sizeof(*r));
	uv_buf_t buf;
	size_t len;

	if (r == NULL)
		return;
	/* A client that sends commands and never reads the replies is cut
	 * off before its queued replies grow without bound. */
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >
	    WRITE_QUEUE_MAX) {
		free(r);
		uv_read_stop((uv_stream_t *)&c->pipe);
		close_client(c);
		return;
	}
	len = strlen(text);
	if (len > REPLY_MAX - 1)
		len = REPLY_MAX - 1;
	memcpy(r->data, text, len);
	r->data[len++] = '\n';
	r->req.data = r;
	buf = uv_buf_init(r->data, (unsigned int)len);
	if (uv_write(&r->req, (uv_stream_t *)&c->pipe, &buf, 1, on_written) != 0)
		free(r);
}

static void
run_command(struct client *c, char *command)
{
	static char out[REPLY_MAX];
	size_t len = strlen(command);

	while (len > 0 && (command[len - 1] == '\r' || command[len - 1] == ' '))
		command[--len] = '\0';
	if (len == 0)
		return;
	out[0] = '\0';
	c->control->fn(c->control->ctx, command, out, sizeof(out));
	send_line(c, out);
}

/*
 * Sends the error reply to a command line with a NUL byte at <offset>.
 * Commands are text, and C string handling would run only the part
 * before the NUL: "stats" of "stats\0reload".
 */
static void
reject_nul(struct client *c, size_t offset)
{
	char out[96];

	snprintf(out, sizeof(out),
		 "error: the command contains a NUL byte at offset %zu; commands are text",
		 offset);
	send_line(c, out);
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct client *c = handle->data;

	(void)suggested;
	*buf = uv_buf_init(c->read_buf, sizeof(c->read_buf));
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct client *c = stream->data;
	ssize_t i;

	if (nread < 0) {
		close_client(c);
		return;
	}
	for (i = 0; i < nread; i++) {
		char ch = buf->base[i];

		if (ch == '\n') {
			const char *nul = memchr(c->line, '\0', c->used);

			c->line[c->used] = '\0';
			if (nul != NULL)
				reject_nul(c, (size_t)(nul - c->line));
			else
				run_command(c, c->line);
			c->used = 0;
			continue;
		}
		if (c->used + 1 >= sizeof(c->line)) {
			send_line(c, "error: line longer than 255 bytes");
			uv_read_stop(stream);
			close_client(c);
			return;
		}
		c->line[c->used++] = ch;
	}
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct vg_control *control = server->data;
	struct client *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->control = control;
	c->next = control->clients;
	control->clients = c;
	uv_pipe_init(server->loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) != 0)
		close_client(c);
}

/*
 * Removes a socket file that a vigild which died left at <path>, so bind()
 * can succeed. Anything else there is left alone: a file that is not a
 * socket (UV_EEXIST), or a socket another process still listens on
 * (UV_EADDRINUSE).
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
on_server_closed(uv_handle_t *handle)
{
	free(handle->data);
}

struct vg_control *
vg_control_start(uv_loop_t *loop, const char *path, vg_control_fn fn,
		 void *ctx)
{
	struct vg_control *control = calloc(1, sizeof(*control));
	int rc;

	if (control == NULL)
		return NULL;
	snprintf(control->path, sizeof(control->path), "%s", path);
	control->fn = fn;
	control->ctx = ctx;
	uv_pipe_init(loop, &control->server, 0);
	control->server.data = control;
	rc = remove_stale_socket(path);
	if (rc == 0)
		rc = uv_pipe_bind(&control->server, path);
	if (rc == 0) {
		chmod(path, 0600);
		rc = uv_listen((uv_stream_t *)&control->server, 8,
			       on_connection);
	}
	if (rc != 0) {
		VG_ERR("engine", "control socket=%s listen failed: %s%s", path,
		       uv_strerror(rc),
		       rc == UV_EEXIST ? " (the path is not a socket)" :
		       rc == UV_EADDRINUSE ? " (another process listens there)" :
					     "");
		uv_close((uv_handle_t *)&control->server, on_server_closed);
		return NULL;
	}
	VG_INFO("engine", "control socket=%s listening", path);
	return control;
}

void
vg_control_stop(struct vg_control *control)
{
	struct client *c;

	if (control == NULL)
		return;
	for (c = control->clients; c != NULL; c = c->next)
		close_client(c);
	uv_close((uv_handle_t *)&control->server, on_server_closed);
	unlink(control->path);
}
