/*
 * vigild's checks of a configuration that need vigild's own programs or
 * libraries, so they cannot live in the loader (common/config.c). They
 * check that libpcap reads the capture files, that EAL parses the vdev
 * strings, that the programs a start runs are installed, and that
 * plugins.scripts suits the plugins the file loads.
 */
#ifndef VG_ENGINE_CONFIG_CHECK_H
#define VG_ENGINE_CONFIG_CHECK_H

#include <stddef.h>

#include "capture/capture.h"
#include "common/config.h"

/*
 * Checks that the programs a start runs can be found, as the start finds
 * them from <argv0>: vigil-ts-writer when timeseries are enabled, and
 * vigil-sandbox when plugins are, unless plugins.sandbox_path names it
 * (the loader checks that path). These are machine checks, treated as
 * <report> selects (NULL: as errors). Returns 0, or -EINVAL with
 * "FILE:LINE:COL: KEY: problem" in <err>.
 */
int
vg_check_programs(const struct vg_config *cfg, const char *argv0,
		  struct vg_config_report *report, char *err, size_t err_len);

/*
 * Fills <m> with the EAL memory, in bytes, that vigild allocates for
 * <cfg>: the mbuf pools, the rx-to-engine rings, the engine lcores'
 * buffers and rings, and a margin for EAL's own use. The flow and host
 * tables are not in it: vigild maps them outside EAL memory.
 */
void
vg_eal_memory_need(const struct vg_config *cfg, struct vg_eal_memory *m);

/*
 * Checks that memory.size_mb can contain what vg_eal_memory_need() counts.
 * Without hugepages, EAL has exactly memory.size_mb of memory. With
 * hugepages, memory.size_mb is what EAL reserves at start; EAL could take
 * more pages later, but a size that fits everything vigild allocates is
 * the one figure an operator reserves hugepages for, and the one that
 * vg_check_hugepages() compares with the free pages. This depends on the
 * file alone, so it is an error in every mode. Returns 0, or -EINVAL with
 * "FILE:LINE:COL: memory.size_mb: problem" in <err>, naming the size
 * needed and its parts.
 */
int
vg_check_eal_memory(const struct vg_config *cfg, char *err, size_t err_len);

/*
 * Checks what vigild takes from the system memory against /proc/meminfo
 * and the memory.max of its cgroup (vg_config_check_memory()), which
 * tests replace with VIGIL_PROCFS and VIGIL_SYSFS. That memory is each
 * engine lcore's flow table, nDPI states and, with plugins or timeseries,
 * host table, plus, without hugepages, memory.size_mb or the EAL memory
 * vigild allocates if that is more. Returns 0, or -EINVAL with
 * "FILE:LINE:COL: KEY: problem" in <err>.
 */
int
vg_check_memory(const struct vg_config *cfg, struct vg_config_report *report,
		char *err, size_t err_len);

/*
 * Checks, with hugepages, that the machine has memory.size_mb of free
 * hugepages (vg_config_check_hugepages()). This is a machine check,
 * treated as <report> selects (NULL: as errors). Returns 0, or -EINVAL
 * with "FILE:LINE:COL: memory.size_mb: problem" in <err>.
 */
int
vg_check_hugepages(const struct vg_config *cfg,
		   struct vg_config_report *report, char *err, size_t err_len);

/*
 * Opens every capture file of cfg->ports (pcap ports and the rx_pcap=
 * files of net_pcap vdevs) with libpcap, as EAL's probe of the port
 * would, so that a file libpcap cannot read stops vigild before EAL
 * starts. Files that vg_config_check_capture_file() rejects are left to
 * the loader, which reported them. These are machine checks, treated as
 * <report> selects (NULL: as errors). Returns 0, or -EINVAL with
 * "FILE:LINE:COL: capture.ports[N].KEY: problem" in <err>.
 */
int
vg_check_capture_files(const struct vg_config *cfg,
		       struct vg_config_report *report, char *err,
		       size_t err_len);

/*
 * Checks each vdev port's string with EAL's parser, over the drivers EAL
 * loads at start (vg_eal_check_vdev()), so that a vdev no driver matches
 * stops vigild before EAL starts, with the key named. These are machine
 * checks, because the drivers are those installed on this machine, and
 * are treated as <report> selects (NULL: as errors). Returns 0, or
 * -EINVAL with "FILE:LINE:COL: capture.ports[N].vdev: problem" in <err>.
 */
int
vg_check_vdevs(const struct vg_config *cfg, struct vg_config_report *report,
	       char *err, size_t err_len);

/*
 * Checks plugins.scripts of the file cfg->path against the plugins in
 * cfg->plugin_dirs by running `vigil-sandbox --check-config`, the program
 * and the rules a start uses. Each error becomes a line
 * "FILE:LINE:COL: KEY: problem" of <errors>. Each warning (a plugin that
 * does not load, a script key that may belong to it) and any failure to
 * run the check go to <report>, which must not be NULL. Nothing is run,
 * and a note reports that, when a plugin folder or vigil-sandbox cannot
 * be used, which the other checks report. Returns 0, or -EINVAL when
 * plugins.scripts has errors or <report> turned a warning into one (its
 * text is then the only line of <errors>).
 */
int
vg_check_plugin_scripts(const struct vg_config *cfg, const char *argv0,
			struct vg_config_report *report, char *errors,
			size_t errors_len);

#endif
