/*
 * Single-producer single-consumer byte rings in shared memory, carrying
 * whole messages between vigild and its sandbox processes.
 *
 * A ring is a header (producer and consumer positions on their own cache
 * lines, a "consumer asleep" flag) followed by a power-of-two data area.
 * Each message is a 32-bit length and its bytes, wrapping around the end
 * of the data area. Positions are byte counts that only grow, so head -
 * tail is the fill level.
 *
 * The producer never blocks: a message that does not fit is dropped and
 * counted. A consumer that finds the ring empty announces that it will
 * sleep, checks once more, and waits on an eventfd; a producer writes to
 * that eventfd only when the flag is set, so a busy pipeline makes no
 * system call per message.
 *
 * The other side of the ring is a separate, possibly hostile process that
 * can write anything into the shared memory. Every value read from the
 * ring (positions, lengths) is checked before use; a ring whose positions
 * or lengths are impossible is reported as corrupt and never read past.
 */
#ifndef VG_SHM_RING_H
#define VG_SHM_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VG_SHM_RING_MIN 4096u
#define VG_SHM_RING_MAX (1u << 30)

struct vg_shm_ring {
	_Alignas(64) _Atomic uint64_t head; /* written by the producer */
	_Alignas(64) _Atomic uint64_t tail; /* written by the consumer */
	_Alignas(64) _Atomic uint32_t asleep; /* consumer waits on eventfd */
	_Atomic uint64_t dropped;           /* messages that did not fit */
	uint32_t size;                      /* data bytes, power of two */
	_Alignas(64) uint8_t data[];
};

/*
 * One side's handle on a ring: the shared ring and the data size this side
 * read once, at creation or attach time. Every operation uses this private
 * copy, never the shared size field, so the other process cannot make this
 * side index past the data area by rewriting it.
 */
struct vg_shm_ring_ref {
	struct vg_shm_ring *shared;
	uint32_t size;
};

/* Returns the bytes a ring with <size> data bytes takes in memory. */
size_t
vg_shm_ring_footprint(uint32_t size);

/*
 * Initializes the ring at <ring> with <size> data bytes (a power of two,
 * VG_SHM_RING_MIN..VG_SHM_RING_MAX). Returns 0 or -EINVAL.
 */
int
vg_shm_ring_init(struct vg_shm_ring *ring, uint32_t size);

/*
 * Appends one message. Producer side only. Returns 0; -ENOSPC when the
 * ring has no room now (the message is dropped and counted in <dropped>);
 * -EMSGSIZE when <len> could never fit; -EBADMSG when the consumer's
 * position is impossible (the ring is corrupt; nothing is written).
 */
int
vg_shm_ring_put(const struct vg_shm_ring_ref *ring, const void *msg, uint32_t len);

/*
 * Copies the oldest message into <buf> and removes it. Consumer side only.
 * Returns its length; 0 when the ring is empty; -EMSGSIZE when <cap> is
 * too small (the message stays); -EBADMSG when the producer's position or
 * the message length is impossible (the ring is corrupt).
 */
ssize_t
vg_shm_ring_get(const struct vg_shm_ring_ref *ring, void *buf, size_t cap);

/* Returns true when the ring holds no message. Either side. */
bool
vg_shm_ring_empty(const struct vg_shm_ring_ref *ring);

/*
 * Producer side, after a put or a run of puts: wakes the consumer through
 * <eventfd> if it announced it was going to sleep. Returns 1 when it
 * wrote to the eventfd, 0 when it did not need to, or -errno.
 */
int
vg_shm_ring_wake(const struct vg_shm_ring_ref *ring, int eventfd);

/*
 * Consumer side, before sleeping on the eventfd: sets the asleep flag,
 * then checks the ring again. Returns true when the consumer may sleep;
 * false when a message arrived meanwhile (the flag is cleared again).
 */
bool
vg_shm_ring_prepare_sleep(const struct vg_shm_ring_ref *ring);

/* Consumer side, after waking: clears the asleep flag. */
void
vg_shm_ring_awake(const struct vg_shm_ring_ref *ring);

#endif
