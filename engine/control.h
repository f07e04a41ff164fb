/*
 * vigild's control socket: a Unix stream socket on which an operator or a
 * script sends one command per line and reads one reply line.
 *
 *   reload   restarts the plugin sandboxes, so plugins and their settings
 *            are read again ("ok" or "error: ...")
 *   stats    every counter as one JSON object; each port under "ports"
 *            by its configured name, with its DPDK device under "device"
 *
 * With the alert store, the exclusion and engaged-alert commands too
 * (exclude, unexclude, exclusions, alerts engaged: see docs/alerts.md).
 * A line that contains a NUL byte is not run, and the reply is "error: ...".
 * vigil-web does not use this socket: it speaks the framed protobuf
 * protocol of engine/api.h on web.vigild_socket.
 */
#ifndef VG_CONTROL_H
#define VG_CONTROL_H

#include <uv.h>

#define VG_CONTROL_LINE_MAX 256

struct vg_control;

/* Called for each command line; writes the reply (no newline) into <out>. */
typedef void (*vg_control_fn)(void *ctx, const char *command, char *out,
			      size_t out_len);

/*
 * Listens on <path> and calls <fn> for each command. A socket file left
 * there by a process that no longer listens is replaced; any other file is
 * kept and the call fails. The socket is made 0600. Returns NULL with the
 * cause logged.
 */
struct vg_control *
vg_control_start(uv_loop_t *loop, const char *path, vg_control_fn fn,
		 void *ctx);

/* Closes the listener and every connection, and removes the socket file. */
void
vg_control_stop(struct vg_control *control);

#endif
