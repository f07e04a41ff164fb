/*
 * SPSC message rings in shared memory; see shm_ring.h for the protocol.
 *
 * Memory order: the producer copies the message, then publishes it with a
 * release store of head; the consumer reads head with acquire before it
 * reads the bytes. Symmetrically the consumer releases tail after copying
 * out, and the producer acquires tail before reusing that space. The sleep
 * handshake needs sequential consistency between "set asleep, read head"
 * and "write head, read asleep", so both sides use a full fence there.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/shm_ring.h"

#define LEN_BYTES 4u

size_t
vg_shm_ring_footprint(uint32_t size)
{
	return sizeof(struct vg_shm_ring) + size;
}

int
vg_shm_ring_init(struct vg_shm_ring *ring, uint32_t size)
{
	if (size < VG_SHM_RING_MIN || size > VG_SHM_RING_MAX ||
	    (size & (size - 1)) != 0)
		return -EINVAL;
	atomic_store(&ring->head, 0);
	atomic_store(&ring->tail, 0);
	atomic_store(&ring->asleep, 0);
	atomic_store(&ring->dropped, 0);
	ring->size = size;
	return 0;
}

static void
copy_in(struct vg_shm_ring *ring, uint32_t size, uint64_t pos,
	const void *src, uint32_t len)
{
	uint32_t off = (uint32_t)(pos & (size - 1));
	uint32_t first = size - off < len ? size - off : len;

	memcpy(ring->data + off, src, first);
	memcpy(ring->data, (const uint8_t *)src + first, len - first);
}

static void
copy_out(const struct vg_shm_ring *ring, uint32_t size, uint64_t pos,
	 void *dst, uint32_t len)
{
	uint32_t off = (uint32_t)(pos & (size - 1));
	uint32_t first = size - off < len ? size - off : len;

	memcpy(dst, ring->data + off, first);
	memcpy((uint8_t *)dst + first, ring->data, len - first);
}

int
vg_shm_ring_put(const struct vg_shm_ring_ref *ref, const void *msg, uint32_t len)
{
	struct vg_shm_ring *ring = ref->shared;
	uint32_t size = ref->size;
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
	uint32_t le = len;

	if ((uint64_t)len + LEN_BYTES > size)
		return -EMSGSIZE;
	if (tail > head || head - tail > size)
		return -EBADMSG;
	if (size - (head - tail) < (uint64_t)len + LEN_BYTES) {
		atomic_fetch_add_explicit(&ring->dropped, 1,
					  memory_order_relaxed);
		return -ENOSPC;
	}
	copy_in(ring, size, head, &le, LEN_BYTES);
	copy_in(ring, size, head + LEN_BYTES, msg, len);
	atomic_store_explicit(&ring->head, head + LEN_BYTES + len,
			      memory_order_release);
	return 0;
}

ssize_t
vg_shm_ring_get(const struct vg_shm_ring_ref *ref, void *buf, size_t cap)
{
	struct vg_shm_ring *ring = ref->shared;
	uint32_t size = ref->size;
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
	uint32_t len;

	if (head == tail)
		return 0;
	if (head < tail || head - tail > size || head - tail < LEN_BYTES)
		return -EBADMSG;
	copy_out(ring, size, tail, &len, LEN_BYTES);
	if ((uint64_t)len + LEN_BYTES > head - tail)
		return -EBADMSG;
	if (len > cap)
		return -EMSGSIZE;
	copy_out(ring, size, tail + LEN_BYTES, buf, len);
	atomic_store_explicit(&ring->tail, tail + LEN_BYTES + len,
			      memory_order_release);
	return (ssize_t)len;
}

bool
vg_shm_ring_empty(const struct vg_shm_ring_ref *ref)
{
	return atomic_load_explicit(&ref->shared->head, memory_order_acquire) ==
	       atomic_load_explicit(&ref->shared->tail, memory_order_acquire);
}

int
vg_shm_ring_wake(const struct vg_shm_ring_ref *ref, int eventfd)
{
	struct vg_shm_ring *ring = ref->shared;
	uint64_t one = 1;

	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&ring->asleep, memory_order_relaxed) == 0)
		return 0;
	if (atomic_exchange(&ring->asleep, 0) == 0)
		return 0;
	if (write(eventfd, &one, sizeof(one)) != (ssize_t)sizeof(one) &&
	    errno != EAGAIN)
		return -errno;
	return 1;
}

bool
vg_shm_ring_prepare_sleep(const struct vg_shm_ring_ref *ref)
{
	atomic_store(&ref->shared->asleep, 1);
	atomic_thread_fence(memory_order_seq_cst);
	if (!vg_shm_ring_empty(ref)) {
		atomic_store(&ref->shared->asleep, 0);
		return false;
	}
	return true;
}

void
vg_shm_ring_awake(const struct vg_shm_ring_ref *ref)
{
	atomic_store(&ref->shared->asleep, 0);
}
