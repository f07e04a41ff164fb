/*
 * vigil-web's connection to vigild's API socket (vigil_control.proto).
 *
 * One Unix-socket connection carries every request; responses are matched
 * to requests by id, so several HTTP requests can wait on vigild at once.
 * When the connection fails or vigild closes it, every waiting request is
 * failed at once and a new connection is tried every
 * VG_VIGILD_RETRY_MS, so the API returns 503 while vigild is down and
 * recovers by itself when it comes back. A request that gets no response
 * within VG_VIGILD_TIMEOUT_MS fails too.
 */
#ifndef VG_WEB_VIGILD_H
#define VG_WEB_VIGILD_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "vigil_control.pb-c.h"

#define VG_VIGILD_RETRY_MS 1000
#define VG_VIGILD_TIMEOUT_MS 10000
#define VG_VIGILD_RESPONSE_MAX (16u << 20)

struct vg_vigild;

/*
 * Called once per request: with the response (freed after the call
 * returns) or with NULL and a reason (not connected, connection lost,
 * timed out).
 */
typedef void (*vg_vigild_cb)(void *ctx,
			     const Vigil__Control__V1__Response *resp,
			     const char *error);

/* Starts connecting to <path>. Returns NULL if out of memory. */
struct vg_vigild *
vg_vigild_start(uv_loop_t *loop, const char *path);

/* Fails every waiting request and closes the connection. */
void
vg_vigild_stop(struct vg_vigild *v);

bool
vg_vigild_connected(const struct vg_vigild *v);

/*
 * Sends <req> (its version and id are set here). <cb> is always called
 * later from the loop, never from within this call. Returns 0, or
 * -ENOMEM, in which case <cb> is not called.
 */
int
vg_vigild_call(struct vg_vigild *v, Vigil__Control__V1__Request *req,
	       vg_vigild_cb cb, void *ctx);

#endif
