/*
 * Creating and attaching the vigild-sandbox shared-memory region.
 *
 * The header is written once by vigild before the sandbox starts and read
 * once by the sandbox at attach time; after that, each side keeps the ring
 * pointers it computed and never reads the header again, so a sandbox
 * that scribbles over the header cannot move vigild's rings.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/sandbox_shm.h"

static size_t
align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

int
vg_sandbox_shm_create(struct vg_sandbox_shm *shm, unsigned int engine_count,
		      uint32_t event_bytes, uint32_t result_bytes)
{
	struct vg_sandbox_shm_header *hdr;
	unsigned int rings = engine_count + 2;
	size_t offsets[VG_SANDBOX_MAX_RINGS];
	size_t len = align64(sizeof(*hdr));
	unsigned int i;
	int rc;

	memset(shm, 0, sizeof(*shm));
	shm->fd = -1;
	if (engine_count == 0 || rings > VG_SANDBOX_MAX_RINGS)
		return -EINVAL;
	for (i = 0; i < rings; i++) {
		uint32_t bytes = i < engine_count ? event_bytes : result_bytes;

		if (bytes < VG_SHM_RING_MIN || bytes > VG_SHM_RING_MAX ||
		    (bytes & (bytes - 1)))
			return -EINVAL;
		offsets[i] = len;
		len += align64(vg_shm_ring_footprint(bytes));
	}

	shm->fd = memfd_create("vigil-sandbox", MFD_CLOEXEC);
	if (shm->fd < 0)
		return -errno;
	if (ftruncate(shm->fd, (off_t)len) != 0)
		goto fail;
	shm->base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 shm->fd, 0);
	if (shm->base == MAP_FAILED) {
		shm->base = NULL;
		goto fail;
	}
	shm->len = len;
	shm->engine_count = engine_count;

	hdr = shm->base;
	hdr->magic = VG_SANDBOX_SHM_MAGIC;
	hdr->version = VG_SANDBOX_SHM_VERSION;
	hdr->engine_count = engine_count;
	hdr->ring_count = rings;
	hdr->total_bytes = len;
	shm->status = &hdr->status;
	for (i = 0; i < rings; i++) {
		hdr->ring_offset[i] = offsets[i];
		shm->rings[i].shared = (struct vg_shm_ring *)((uint8_t *)shm->base +
							      offsets[i]);
		shm->rings[i].size = i < engine_count ? event_bytes : result_bytes;
		vg_shm_ring_init(shm->rings[i].shared, shm->rings[i].size);
	}
	return 0;
fail:
	rc = -errno;
	vg_sandbox_shm_close(shm);
	return rc;
}

int
vg_sandbox_shm_attach(struct vg_sandbox_shm *shm, int fd)
{
	struct vg_sandbox_shm_header hdr;
	off_t size = lseek(fd, 0, SEEK_END);
	unsigned int i;

	memset(shm, 0, sizeof(*shm));
	shm->fd = -1;
	if (size < (off_t)sizeof(hdr))
		return size < 0 ? -errno : -EBADMSG;
	shm->base = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
	if (shm->base == MAP_FAILED) {
		shm->base = NULL;
		return -errno;
	}
	shm->fd = fd;
	shm->len = (size_t)size;
	memcpy(&hdr, shm->base, sizeof(hdr));
	if (hdr.magic != VG_SANDBOX_SHM_MAGIC ||
	    hdr.version != VG_SANDBOX_SHM_VERSION || hdr.engine_count == 0 ||
	    hdr.ring_count != hdr.engine_count + 2 ||
	    hdr.ring_count > VG_SANDBOX_MAX_RINGS ||
	    hdr.total_bytes != (uint64_t)size)
		goto bad;
	shm->engine_count = hdr.engine_count;
	shm->status = &((struct vg_sandbox_shm_header *)shm->base)->status;
	for (i = 0; i < hdr.ring_count; i++) {
		uint64_t off = hdr.ring_offset[i];
		struct vg_shm_ring *ring;
		uint32_t bytes;

		if (off % 64 || off < sizeof(hdr) ||
		    off + sizeof(struct vg_shm_ring) > shm->len)
			goto bad;
		ring = (struct vg_shm_ring *)((uint8_t *)shm->base + off);
		bytes = ring->size;
		if (bytes < VG_SHM_RING_MIN || bytes > VG_SHM_RING_MAX ||
		    (bytes & (bytes - 1)) ||
		    off + vg_shm_ring_footprint(bytes) > shm->len)
			goto bad;
		shm->rings[i].shared = ring;
		shm->rings[i].size = bytes;
	}
	return 0;
bad:
	munmap(shm->base, shm->len);
	shm->base = NULL;
	shm->fd = -1;
	return -EBADMSG;
}

void
vg_sandbox_shm_close(struct vg_sandbox_shm *shm)
{
	if (shm->base != NULL)
		munmap(shm->base, shm->len);
	if (shm->fd >= 0)
		close(shm->fd);
	shm->base = NULL;
	shm->fd = -1;
}
