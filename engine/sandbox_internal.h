/*
 * Declarations the sandbox supervisor's files share. sandbox_sup.c owns
 * the sandbox processes (spawn, exit, restart, liveness and stop), and
 * sandbox_results.c reads the result rings and applies what they carry.
 * Nothing outside these files includes this header.
 */
#ifndef VG_ENGINE_SANDBOX_INTERNAL_H
#define VG_ENGINE_SANDBOX_INTERNAL_H

#include <stdint.h>

#include <uv.h>

#include "sandbox_sup.h"

#define RESULT_RING_BYTES (4u << 20)

static inline uint64_t
now_ms(const struct vg_sandboxes *sb)
{
	return uv_now(sb->loop);
}

/*
 * Reads every ResultBatch waiting in <box>'s result ring and applies it.
 * Kills the sandbox when the ring's positions are corrupt.
 */
void
vg_sandbox_drain_results(struct vg_sandboxes *sb, struct vg_sandbox *box);

/* Drains the result ring when the sandbox signals its notify eventfd. */
void
vg_sandbox_on_notify(uv_poll_t *poll, int status, int events);

#endif
