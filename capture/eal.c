/*
 * EAL start-up from the configuration.
 *
 * vigil builds EAL's command line itself: lcore 0 is the control thread,
 * then one lcore per rx CPU, then one per engine CPU (--lcores maps each to
 * its CPU, so several lcores may share one). Capture files, kernel
 * interfaces and vdev strings become --vdev arguments and PCI ports -a;
 * without hugepages EAL runs with --no-huge and a file prefix unique to the
 * process, so several vigild can run side by side.
 *
 * DPDK's log is routed into vigil's logger through a stdio cookie stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "capture.h"
#include "common/log.h"

#define EAL_ARGS_MAX (16 + 2 * VG_MAX_PORTS)

static ssize_t
dpdk_log_write(void *cookie, const char *buf, size_t size)
{
	uint32_t level = (uint32_t)rte_log_cur_msg_loglevel();
	enum vg_log_level vg_level;

	(void)cookie;
	if (level <= RTE_LOG_ERR)
		vg_level = VG_LOG_ERR;
	else if (level == RTE_LOG_WARNING)
		vg_level = VG_LOG_WARN;
	else if (level <= RTE_LOG_INFO)
		vg_level = VG_LOG_INFO;
	else
		vg_level = VG_LOG_DEBUG;
	vg_log(vg_level, "dpdk", "%.*s", (int)size, buf);
	return (ssize_t)size;
}

static FILE *
dpdk_log_stream(void)
{
	cookie_io_functions_t io = { .write = dpdk_log_write };
	FILE *stream = fopencookie(NULL, "w", io);

	if (stream != NULL)
		setvbuf(stream, NULL, _IOLBF, 0);
	return stream;
}

/* Appends "N@CPU" entries to <buf> for lcores <first>.. */
static size_t
add_lcores(char *buf, size_t len, size_t used, unsigned int first,
	   const unsigned int *cpus, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count && used < len; i++) {
		int n = snprintf(buf + used, len - used, ",%u@%u", first + i,
				 cpus[i]);

		if (n > 0)
			used += (size_t)n;
	}
	return used;
}

static int
port_device_arg(const struct vg_port_config *port, unsigned int index,
		char *buf, size_t len)
{
	int n;

	switch (port->kind) {
	case VG_PORT_PCI:
		n = snprintf(buf, len, "%s", port->source);
		break;
	case VG_PORT_VDEV:
		n = snprintf(buf, len, "%s", port->source);
		break;
	case VG_PORT_PCAP:
		if (strchr(port->source, ',') != NULL) {
			VG_ERR("capture",
			       "port=%s: capture file path contains a comma, which DPDK's vdev arguments cannot carry",
			       port->name);
			return -EINVAL;
		}
		n = snprintf(buf, len, "net_pcap%u,rx_pcap=%s", index,
			     port->source);
		break;
	case VG_PORT_IFACE:
		n = snprintf(buf, len, "net_af_packet%u,iface=%s,qpairs=%u",
			     index, port->source, port->rx_queues);
		break;
	default:
		return -EINVAL;
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int
vg_eal_start(const struct vg_config *cfg, const char *argv0)
{
	static char lcores[1024];
	static char memory[32];
	static char prefix[64];
	static char devices[VG_MAX_PORTS][VG_PATH_MAX + 64];
	char *argv[EAL_ARGS_MAX];
	int argc = 0;
	bool any_pci = false;
	size_t used;
	unsigned int i;
	int rc;

	used = (size_t)snprintf(lcores, sizeof(lcores), "0@%u",
				cfg->control_cpu);
	used = add_lcores(lcores, sizeof(lcores), used, 1, cfg->rx_cpus,
			  cfg->rx_lcore_count);
	add_lcores(lcores, sizeof(lcores), used, 1 + cfg->rx_lcore_count,
		   cfg->engine_cpus, cfg->engine_lcore_count);
	snprintf(memory, sizeof(memory), "%u", cfg->memory_mb);
	snprintf(prefix, sizeof(prefix), "--file-prefix=vigil%ld",
		 (long)getpid());

	argv[argc++] = (char *)argv0;
	argv[argc++] = "--lcores";
	argv[argc++] = lcores;
	argv[argc++] = "-m";
	argv[argc++] = memory;
	argv[argc++] = prefix;
	argv[argc++] = vg_log_get_level() >= VG_LOG_DEBUG ?
			       "--log-level=info" :
			       "--log-level=notice";
	if (cfg->hugepages) {
		argv[argc++] = "--in-memory";
	} else {
		argv[argc++] = "--no-huge";
		argv[argc++] = "--no-shconf";
	}

	for (i = 0; i < cfg->port_count; i++) {
		rc = port_device_arg(&cfg->ports[i], i, devices[i],
				     sizeof(devices[i]));
		if (rc < 0)
			return rc;
		if (cfg->ports[i].kind == VG_PORT_PCI) {
			argv[argc++] = "-a";
			any_pci = true;
		} else {
			argv[argc++] = "--vdev";
		}
		argv[argc++] = devices[i];
	}
	if (!any_pci)
		argv[argc++] = "--no-pci";
	argv[argc] = NULL;

	rte_openlog_stream(dpdk_log_stream());
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		VG_ERR("capture", "rte_eal_init() failed: %d (%s)", rte_errno,
		       rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

void
vg_eal_stop(void)
{
	rte_eal_cleanup();
}
