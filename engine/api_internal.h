/*
 * Declarations the API files share: the socket's state and its
 * connections, the response arena, and the functions that send a
 * response or hand a request to its handler. api.c owns the socket and
 * the frames, api_flows.c the flow and host queries, api_stats.c the
 * counters, plugins and reload. Nothing outside these files includes
 * this header.
 */
#ifndef VG_ENGINE_API_INTERNAL_H
#define VG_ENGINE_API_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "api.h"
#include "api_scans.h"
#include "lcore.h"
#include "vigil_control.pb-c.h"

typedef Vigil__Control__V1__Request Request;
typedef Vigil__Control__V1__Response Response;
typedef Vigil__Control__V1__Counter PbCounter;

#define ARENA_BLOCK (64u << 10)

struct arena_block {
	struct arena_block *next;
	size_t used;
	size_t size;
	char data[];
};

struct arena {
	struct arena_block *head;
};

struct api_client;

struct vg_api {
	uv_pipe_t server;
	uv_timer_t timer;            /* starts scans the budget held back */
	char path[108];
	struct vg_api_env env;
	struct vg_engine *engines[VG_MAX_LCORES];
	uv_loop_t *loop;
	uint64_t started_ms;
	unsigned int queries;        /* running on the thread pool */
	unsigned int waiting;        /* list requests waiting for a scan */
	unsigned int open_handles;   /* freed once 0 and no query runs */
	struct api_client *clients;
	struct vg_scans scans;
	uint64_t flow_bytes;         /* what a flow scan reads */
	uint64_t host_bytes;         /* what a host scan reads */
};

struct api_client {
	uv_pipe_t pipe;
	struct vg_api *api;
	struct api_client *next;
	unsigned int jobs;           /* requests without a response yet */
	bool closing;
	bool closed;                 /* handle closed, freed when jobs == 0 */
	size_t used;
	uint8_t *buf;                /* VG_API_REQUEST_MAX + 4 bytes */
};

/* Monotonic microseconds, for the scan budget and the responses' age. */
static inline uint64_t
now_us(void)
{
	return uv_hrtime() / 1000;
}

/* ---- arena ---- */

static inline void *
arena_alloc(struct arena *a, size_t size)
{
	struct arena_block *b = a->head;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (b == NULL || b->size - b->used < size) {
		size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->size = cap;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

static inline char *
arena_strdup(struct arena *a, const char *s)
{
	size_t len = strlen(s);
	char *p = arena_alloc(a, len + 1);

	if (p != NULL)
		memcpy(p, s, len + 1);
	return p;
}

static inline void
arena_free(struct arena *a)
{
	while (a->head != NULL) {
		struct arena_block *b = a->head;

		a->head = b->next;
		free(b);
	}
}

/* ---- shared between the API files ---- */

void
vg_api_close_client(struct api_client *c);

void
vg_api_init_response(Vigil__Control__V1__Response *resp,
		     Vigil__Control__V1__Status *status, uint64_t id);

void
vg_api_send_response(struct api_client *c, Vigil__Control__V1__Response *resp);

void
vg_api_send_error(struct api_client *c, uint64_t id,
		  Vigil__Control__V1__StatusCode code, const char *field,
		  const char *message);

void
vg_api_free_when_idle(struct vg_api *api);

void
vg_api_answer_waiters(struct vg_api *api, struct vg_scan *scan);

void
vg_api_handle_flows(struct api_client *c, const Request *req);

void
vg_api_handle_flow(struct api_client *c, const Request *req);

void
vg_api_handle_hosts(struct api_client *c, const Request *req);

void
vg_api_handle_stats(struct api_client *c, const Request *req);

void
vg_api_handle_plugins(struct api_client *c, const Request *req);

void
vg_api_handle_reload(struct api_client *c, const Request *req);

#endif
