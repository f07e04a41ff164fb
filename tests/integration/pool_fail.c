/*
 * A stand-in for DPDK's rte_pktmbuf_pool_create_by_ops(), which
 * eal_memory.py preloads into vigild (LD_PRELOAD). A call that names a
 * mempool driver, as vigild's own call does, creates nothing. It fails
 * with the rte_errno given in VG_TEST_POOL_ERRNO (ENOMEM when it is not
 * set), as DPDK does when EAL memory is short (ENOMEM) or when the driver
 * named is not registered (EINVAL). rte_pktmbuf_pool_create() calls this
 * function without a driver name inside DPDK. Such a call goes on to
 * DPDK's function, so vigild's fallback to the default driver works.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

typedef struct rte_mempool *(*pool_create_fn)(const char *, unsigned int,
					      unsigned int, uint16_t,
					      uint16_t, int, const char *);

struct rte_mempool *
rte_pktmbuf_pool_create_by_ops(const char *name, unsigned int n,
			       unsigned int cache_size, uint16_t priv_size,
			       uint16_t data_room_size, int socket_id,
			       const char *ops_name)
{
	const char *value = getenv("VG_TEST_POOL_ERRNO");
	pool_create_fn dpdk;

	if (ops_name == NULL) {
		dpdk = (pool_create_fn)dlsym(RTLD_NEXT,
					     "rte_pktmbuf_pool_create_by_ops");
		if (dpdk == NULL) {
			rte_errno = ENOSYS;
			return NULL;
		}
		return dpdk(name, n, cache_size, priv_size, data_room_size,
			    socket_id, NULL);
	}
	rte_errno = value != NULL ? atoi(value) : ENOMEM;
	return NULL;
}
