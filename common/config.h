/*
 * vigil's configuration: one YAML file, parsed with libyaml and validated
 * against a fixed schema before anything else starts.
 *
 * Every error names the file, the line and column, and the key path
 * ("capture.ports[1].pcap"), and says what was expected. Unknown keys, wrong
 * types and impossible values (a table too small, an lcore on a CPU that
 * does not exist, two sources for one port) are rejected; nothing is read
 * from the network before the whole file has passed. What this machine
 * lacks can be reported as warnings instead (struct vg_config_report).
 */
#ifndef VG_CONFIG_H
#define VG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/alert_config.h"

#define VG_MAX_PORTS 16
#define VG_MAX_LCORES 64
#define VG_MAX_LOCAL_NETS 255 /* a flow keeps the index in a byte */
#define VG_PATH_MAX 4096
#define VG_MAX_PLUGIN_DIRS 8
#define VG_TS_ARCHIVES_MAX 8

/* One rrd archive: consolidated points of <resolution> s, kept <keep> s. */
struct vg_ts_archive {
	uint32_t resolution;
	uint32_t keep;
};

enum vg_port_kind {
	VG_PORT_PCI = 1,  /* a NIC bound to a DPDK driver, by PCI address */
	VG_PORT_VDEV,     /* any DPDK vdev string, passed to EAL as is */
	VG_PORT_PCAP,     /* a capture file, read through net_pcap */
	VG_PORT_IFACE,    /* a kernel interface, through net_af_packet */
};

struct vg_config_mark {
	uint32_t line;             /* 1-based */
	uint32_t column;           /* 1-based */
};

struct vg_port_config {
	enum vg_port_kind kind;
	char name[64];             /* label in logs; defaults to the source */
	char source[VG_PATH_MAX];  /* PCI address, vdev string, file or iface */
	uint16_t rx_queues;        /* 1..16, RSS spreads flows across them */
	bool pace;                 /* replay a capture file at its own timing */
	struct vg_config_mark at;  /* its pci, vdev, pcap or interface key */
};

struct vg_local_net {
	uint8_t family;    /* 4 or 6 */
	uint8_t prefix_len;
	uint8_t addr[16];  /* network order, IPv4 in the first 4 bytes */
};

#define VG_WEB_LISTEN_MAX 8
#define VG_WEB_LISTEN_LEN 64
/* vigil-web's users and password hashes, in web.data_dir. */
#define VG_WEB_USERS_FILE "users"

/*
 * Position of a value in the configuration file, kept for the checks
 * that run after loading. Line 0 means the file does not set the value.
 */
/* web: vigil-web, and the API socket vigild serves it on. */
struct vg_web_config {
	char listen[VG_WEB_LISTEN_MAX][VG_WEB_LISTEN_LEN]; /* "ADDR:PORT" */
	unsigned int listen_count;
	char tls_certificate[VG_PATH_MAX]; /* PEM; TLS when both are set */
	char tls_key[VG_PATH_MAX];
	char static_dir[VG_PATH_MAX];  /* "" = no static files; default:
					  the bundled UI (common/paths.h) */
	char data_dir[VG_PATH_MAX];    /* users file lives here */
	struct vg_config_mark tls_certificate_at;
	struct vg_config_mark tls_key_at;
	struct vg_config_mark static_dir_at;
	struct vg_config_mark data_dir_at;
	char vigild_socket[VG_PATH_MAX]; /* "" = vigild serves no API */
	char admin_password[128];      /* "" = generate one on first start */
	uint32_t max_request_bytes;
	uint32_t request_timeout_ms;
	uint32_t session_timeout;      /* seconds without a request */
	uint32_t login_attempts;       /* failures per address per minute */
	uint32_t query_cache_ms;       /* vigild reuses a scan this long; 0 off */
	uint32_t query_scan_mb_per_second; /* table MB vigild's API scans */
	bool login_required;
	bool metrics_public;           /* /metrics without a session */
};

struct vg_config {
	char path[VG_PATH_MAX];    /* file the config came from, "" if built */
	/* Positions of keys judged after loading (vg_config_check() and
	 * vigild's checks of its programs and plugins), for their errors. */
	struct vg_config_mark lcores_at;
	struct vg_config_mark rx_lcores_at;
	struct vg_config_mark mbufs_at;
	struct vg_config_mark memory_mb_at; /* memory.size_mb */
	struct vg_config_mark hugepages_at; /* memory.hugepages */
	struct vg_config_mark flow_table_size_at; /* flows.table_size */
	struct vg_config_mark timeseries_at;
	struct vg_config_mark scripts_at;  /* plugins.scripts */
	/* Output keys, for the errors of vg_config_check_output_clashes(). */
	struct vg_config_mark flow_output_at;
	struct vg_config_mark alerts_output_at;
	struct vg_config_mark control_socket_at;
	struct vg_config_mark vigild_socket_at;  /* web.vigild_socket */
	struct vg_config_mark database_at;       /* alerts.database */
	struct vg_config_mark endpoint_path_at[VG_ALERT_MAX_ENDPOINTS];
	/* The option that set an output from vigild's command line, such as
	 * "--flows", or NULL when the file set it. */
	const char *flow_output_option;
	const char *alerts_output_option;
	const char *control_socket_option;
	const char *stats_path;    /* vigild --stats FILE, or NULL */

	/* capture */
	struct vg_port_config ports[VG_MAX_PORTS];
	unsigned int port_count;
	uint32_t tunnels;          /* VG_TUNNEL_* bits (capture/parse.h) */
	uint16_t burst;            /* rte_eth_rx_burst size, 1..512 */
	uint32_t ring_size;        /* per (rx, engine) ring, power of two */

	/* lcores: CPUs to pin to; several lcores may share one CPU */
	unsigned int control_cpu;
	unsigned int rx_cpus[VG_MAX_LCORES];
	unsigned int rx_lcore_count;
	unsigned int engine_cpus[VG_MAX_LCORES];
	unsigned int engine_lcore_count;

	/* memory */
	bool hugepages;
	uint32_t mbufs;            /* mbufs in the packet pool */
	uint32_t memory_mb;        /* EAL -m */

	/* flows */
	uint32_t flow_table_size;  /* flows per engine lcore */
	uint32_t idle_timeout_tcp; /* seconds */
	uint32_t idle_timeout_udp;
	uint32_t idle_timeout_icmp;
	uint32_t idle_timeout_other;
	uint32_t active_timeout;   /* seconds, 0 = never */
	uint16_t detection_packets_tcp; /* give nDPI up after this many */
	uint16_t detection_packets_udp;
	char flow_output[VG_PATH_MAX]; /* JSON Lines file, "" for none */

	/* networks */
	struct vg_local_net local_nets[VG_MAX_LOCAL_NETS];
	unsigned int local_net_count;

	/* ndpi: optional files, "" when not set */
	char ndpi_protos[VG_PATH_MAX];
	char ndpi_categories[VG_PATH_MAX];
	char ndpi_risky_domains[VG_PATH_MAX];
	char ndpi_ja3[VG_PATH_MAX];
	char ndpi_sha1[VG_PATH_MAX];

	/* plugins: off when no directory is given. A plugins: section
	 * without directories gets the bundled plugins (common/paths.h). */
	char plugin_dirs[VG_MAX_PLUGIN_DIRS][VG_PATH_MAX];
	unsigned int plugin_dir_count;
	bool plugin_dirs_bundled;  /* plugin_dirs[0] is that default */
	unsigned int sandboxes;    /* vigil-sandbox processes, 1..16 */
	uint32_t sandbox_deadline_ms; /* a batch running longer is killed */
	uint32_t sandbox_memory_mb;   /* RLIMIT_AS of each sandbox */
	uint32_t hook_budget_ms;      /* one hook call's time budget */
	uint32_t sandbox_load_timeout_ms; /* not ready after this: killed */
	char sandbox_user[64];        /* user sandboxes run as, when root */
	char sandbox_path[VG_PATH_MAX]; /* "" = vigil-sandbox beside vigild */
	char alerts_output[VG_PATH_MAX]; /* JSON Lines, "" for none */
	uint32_t periodic_update;  /* flows.periodic_update, seconds, 0 = off */

	/* control: Unix socket for commands such as "reload", "" = none */
	char control_socket[VG_PATH_MAX];

	struct vg_web_config web;

	/* timeseries: rrd files, off unless the section is given */
	bool ts_enabled;
	char ts_directory[VG_PATH_MAX];
	char ts_rrdcached[VG_PATH_MAX]; /* rrdcached Unix socket, "" = none */
	uint32_t ts_step;              /* seconds per rrd data point */
	struct vg_ts_archive ts_archives[VG_TS_ARCHIVES_MAX];
	unsigned int ts_archive_count;
	uint32_t ts_host_series_max;   /* host series at most, 0 = none */
	bool ts_local_hosts_only;
	uint32_t ts_queue_size;        /* points waiting for the writer; 0: auto */

	/* alerts: database, noise control, endpoints */
	struct vg_alerts_config alerts;

	/* log */
	int log_level;             /* enum vg_log_level */
	uint32_t status_interval;  /* seconds between status lines, 0 = off */
};

/*
 * Checks that depend on this machine rather than on the file. They find
 * whether a CPU, interface or user exists, whether the files vigild reads
 * are readable, and whether the folders it writes to are writable or can
 * be created. A start needs them to pass. `--check-config` only warns
 * about them, because a file is often written on one machine for another.
 */
enum vg_config_machine {
	VG_CONFIG_MACHINE_ENFORCE = 0, /* each is an error, as for a start */
	VG_CONFIG_MACHINE_WARN,        /* each is a warning, and checks go on */
	VG_CONFIG_MACHINE_SKIP,        /* none is made: the caller does not
					* use what they look at */
};

enum vg_config_finding {
	VG_CONFIG_WARNING, /* this machine cannot run the file as it is */
	VG_CONFIG_NOTE,    /* what a start does first, such as mkdir */
};

/*
 * The treatment of the machine checks in a load or check, and the
 * receiver of its warnings and notes. Notes are made only with
 * VG_CONFIG_MACHINE_WARN. A NULL report is VG_CONFIG_MACHINE_ENFORCE.
 */
struct vg_config_report {
	enum vg_config_machine machine;
	/* Receives "FILE:LINE:COL: KEY: text" for each finding; may be NULL. */
	void (*emit)(void *ctx, enum vg_config_finding finding,
		     const char *text);
	void *ctx;
	unsigned int warnings;     /* counted by the checks */
	unsigned int notes;
	/* The caller replaces the plugins' folders (vigild --plugins), so
	 * the bundled folder a plugins: section defaults to is not checked. */
	bool plugin_dirs_replaced;
};

/* Fills <cfg> with the defaults every key falls back to. */
void
vg_config_defaults(struct vg_config *cfg);

/*
 * Loads and validates the YAML file at <path> into <cfg> (defaults first,
 * then the file). Returns 0, or -EINVAL with a message in <err> of the form
 * "FILE:LINE:COL: KEY: problem", or -errno when the file cannot be read
 * ("FILE: cannot open: strerror"). <err> is always NUL-terminated.
 */
int
vg_config_load(struct vg_config *cfg, const char *path, char *err,
	       size_t err_len);

/*
 * Same as vg_config_load(), with the machine checks treated as <report>
 * selects (NULL: as errors). Returns 0 when the file has no error, whatever
 * the warnings.
 */
int
vg_config_load_report(struct vg_config *cfg, const char *path,
		      struct vg_config_report *report, char *err,
		      size_t err_len);

/*
 * Same as vg_config_load() for YAML text in memory; <name> is used as
 * the file name in messages.
 */
int
vg_config_parse(struct vg_config *cfg, const char *name, const char *text,
		size_t text_len, char *err, size_t err_len);

/* Same as vg_config_parse(), with the machine checks as in <report>. */
int
vg_config_parse_report(struct vg_config *cfg, const char *name,
		       const char *text, size_t text_len,
		       struct vg_config_report *report, char *err,
		       size_t err_len);

/*
 * Checks cross-key rules that hold whatever the source (file or command
 * line): at least one port, PCI ports only with hugepages, each rx lcore
 * with a queue, enough mbufs for the rx lcores. Returns 0 or -EINVAL
 * with "KEY: problem" in <err>.
 */
int
vg_config_check(const struct vg_config *cfg, char *err, size_t err_len);

/*
 * Checks that no two outputs vigild writes are one file: flows.output,
 * plugins.alerts_output, the file endpoints, alerts.database,
 * control.socket, web.vigild_socket and --stats (cfg->stats_path). None
 * may be the configuration file or a capture file either. Two paths are
 * one file when both exist with the same device and inode, or else when
 * the real path of their folders and their names agree. /dev/null may be
 * given to several outputs. Returns 0, or -EINVAL with "FILE:LINE:COL:
 * KEY: 'PATH' is also OTHER_KEY (FILE:LINE:COL); ..." in <err>.
 */
int
vg_config_check_output_clashes(const struct vg_config *cfg, char *err,
			       size_t err_len);

/*
 * Returns the mark kept for the output path <member>, a field of <cfg>
 * (cfg->flow_output, an endpoint's path...), or NULL for another field.
 */
struct vg_config_mark *
vg_config_output_mark(struct vg_config *cfg, const char *member);

/*
 * Checks the files and folders of the web: section, which only vigil-web
 * uses, so that vigild does not depend on them. tls_certificate and
 * tls_key must be readable regular files and static_dir a readable
 * folder. data_dir must be a writable folder, or a missing one whose
 * nearest existing parent is a writable folder. These are machine checks,
 * treated as <report> selects (NULL: as errors), except the errors of
 * vg_config_check_web_data_dir(). Returns 0, or -EINVAL with
 * "FILE:LINE:COL: web.KEY: problem" in <err>.
 */
int
vg_config_check_web(const struct vg_config *cfg,
		    struct vg_config_report *report, char *err,
		    size_t err_len);

/*
 * Checks web.data_dir, the one folder vigil-web writes to, as
 * vg_config_check_web() does. A path in /proc, in /sys or on another
 * file system of the kernel (vg_config_check_kernel_fs()) and a device
 * or other special file at the path are errors in every mode, as they
 * are for vigild's outputs. The same holds for the users file inside
 * the folder. Returns 0, or -EINVAL with "FILE:LINE:COL: web.data_dir:
 * problem" in <err>.
 */
int
vg_config_check_web_data_dir(const struct vg_config *cfg,
			     struct vg_config_report *report, char *err,
			     size_t err_len);

/*
 * Finds whether web.static_dir is one of the system's own folders (/,
 * /etc, /root, /usr, /var, /home and the like), given as such or as a
 * path whose real path is one. vigil-web serves the files there without
 * a login, so a start logs this as a warning and --check-config reports
 * it as one, but neither rejects the file. Returns true with
 * "FILE:LINE:COL: web.static_dir: problem" in <text>, or false.
 */
bool
vg_config_web_static_dir_warning(const struct vg_config *cfg, char *text,
				 size_t text_len);

/*
 * Passes on <text>, a failed machine check, as <report> selects: with
 * VG_CONFIG_MACHINE_ENFORCE (or a NULL report) copies it to <err> and
 * returns -EINVAL; otherwise counts and emits it as a warning (WARN) or
 * drops it (SKIP), and returns 0.
 */
int
vg_config_report_machine(struct vg_config_report *report, const char *text,
			 char *err, size_t err_len);

/*
 * Reports a failed machine check of the key <key> found at <at>, as
 * <report> selects: an error in <err> (-EINVAL), or a warning (0).
 */
__attribute__((format(printf, 7, 8))) int
vg_config_machine_problem_at(const struct vg_config *cfg,
			     struct vg_config_report *report,
			     const struct vg_config_mark *at, const char *key,
			     char *err, size_t err_len, const char *fmt, ...);

/*
 * Prints a finding on stderr as "PROGRAM: warning: TEXT" or
 * "PROGRAM: note: TEXT"; <program> is the program's name. Fits
 * struct vg_config_report's <emit>.
 */
void
vg_config_print_finding(void *program, enum vg_config_finding finding,
			const char *text);

/*
 * Prints the outcome of `--check-config` for the file <path> after
 * <report> has collected its warnings: "PATH: valid" on stdout, with the
 * count of warnings when there are some. With <strict>, warnings make the
 * file invalid: the count goes to stderr and -EINVAL is returned.
 * Returns 0 otherwise.
 */
int
vg_config_print_verdict(const char *program, const char *path,
			const struct vg_config_report *report, bool strict);

/*
 * Finds whether files can be written in the folder <dir>. Returns 0 when
 * it is a writable folder, 1 when it is missing and its nearest existing
 * parent is a writable folder (so `mkdir -p` would make it), or -1 with
 * the reason in <problem>. <label> follows the path in messages, such as
 * " (the default)", or is "".
 */
int
vg_config_probe_folder(const char *dir, const char *label, char *problem,
		       size_t problem_len);

/*
 * Checks that <path>, a file or folder vigil writes or creates, is not in
 * /proc or /sys and not on another file system the kernel provides for
 * its own use (devpts, cgroup, debugfs, hugetlbfs...). Looks at <path>
 * when it exists, else at its nearest existing parent, with symbolic
 * links resolved, so a link into /proc is caught too. Returns 0, or -1
 * with the path and the fix in <problem>.
 */
int
vg_config_check_kernel_fs(const char *path, char *problem,
			  size_t problem_len);

/* Kind of file an output path names, which decides what may be at it. */
enum vg_output_kind {
	VG_OUTPUT_RECORDS,  /* JSON Lines or JSON: a regular file, a FIFO or
			     * /dev/null */
	VG_OUTPUT_DATABASE, /* SQLite: a regular file */
	VG_OUTPUT_SOCKET,   /* a Unix socket; vigild replaces a stale one */
};

/*
 * Checks <path>, a file or socket vigild writes, as every output key of
 * the file and every output option of the command line is checked. It
 * must not lead into /proc, /sys or a kernel file system
 * (vg_config_check_kernel_fs()). What already exists there must suit
 * <kind>: records go only to a regular file, a FIFO (a reader takes them)
 * or /dev/null (they are dropped), and a database only to a regular file.
 * Returns 0, or -1 with the problem in <problem> when the path breaks one
 * of these rules, which hold on every machine: writing there as root
 * would damage a device (a disk) or a kernel interface. Returns 1 with
 * the problem when a directory is at <path>, which is a problem of this
 * machine only.
 */
int
vg_config_check_output_path(const char *path, enum vg_output_kind kind,
			    char *problem, size_t problem_len);

#define VG_HUGEPAGE_SIZES 8 /* page sizes vg_hugepages_read_free() keeps */

/* Free hugepages of one page size. */
struct vg_hugepage_count {
	uint64_t page_kb;
	uint64_t free_pages;
};

/* Free hugepages of each page size the kernel offers. */
struct vg_hugepages_free {
	unsigned int size_count;
	struct vg_hugepage_count sizes[VG_HUGEPAGE_SIZES]; /* smallest first */
	uint64_t bytes; /* sum over the sizes */
};

/*
 * Reads the free hugepages of each size from the free_hugepages files
 * under <sysfs>/kernel/mm/hugepages, or, where that folder is missing,
 * of the default size from HugePages_Free and Hugepagesize in
 * <procfs>/meminfo. <sysfs> and <procfs> are "/sys" and "/proc" on a
 * real machine; tests point them at copies of those files. Returns 0, or
 * -errno with the file and the reason in <problem>.
 */
int
vg_hugepages_read_free(const char *sysfs, const char *procfs,
		       struct vg_hugepages_free *hp, char *problem,
		       size_t problem_len);

/*
 * Checks, when memory.hugepages is true, that the free hugepages that
 * vg_hugepages_read_free() finds in <sysfs> or <procfs> hold
 * memory.size_mb, which EAL reserves at start. This is a machine check, treated as <report>
 * selects (NULL: as errors). Returns 0, or -EINVAL with "FILE:LINE:COL:
 * memory.size_mb: problem" in <err>, naming the size needed and the
 * hugepages free of each size.
 */
int
vg_config_check_hugepages(const struct vg_config *cfg, const char *sysfs,
			  const char *procfs, struct vg_config_report *report,
			  char *err, size_t err_len);

/* Memory, in bytes, that vigild takes from the system at start, by use. */
struct vg_memory_need {
	uint64_t eal;    /* memory.size_mb, which contains the mbuf pools */
	uint64_t tables; /* all engine lcores' flow tables, nDPI states and
			    host tables */
};

/*
 * Checks the part of <need> that vigild takes from the system memory
 * against <procfs>/meminfo and the memory.max of vigild's cgroup v2 and
 * its parents, found through <procfs>/self/cgroup under
 * <sysfs>/fs/cgroup. On a real machine these are "/sys" and "/proc", and
 * tests point them at copies. That part is need->eal and need->tables, or only
 * need->tables when memory.hugepages is true, because EAL memory is then
 * in hugepages, which memory.max does not count. More than the smaller of
 * the cgroup limit and MemTotal less the hugepages is a machine check,
 * treated as <report> selects (NULL: as an error). More than
 * MemAvailable is a warning only, because the kernel can reclaim memory
 * by then: --check-config counts it in <report>, and a start logs it and
 * goes on. Each message names the key whose part is larger
 * (memory.size_mb or, always with hugepages, flows.table_size), the need
 * and the limit in MiB, and where the limit was read. Returns 0, or
 * -EINVAL with "FILE:LINE:COL: KEY: problem" in <err>. A meminfo that
 * cannot be read, or that lacks MemTotal or MemAvailable, passes.
 */
int
vg_config_check_memory(const struct vg_config *cfg, const char *sysfs,
		       const char *procfs, const struct vg_memory_need *need,
		       struct vg_config_report *report, char *err,
		       size_t err_len);

/* Returns the name of the file type in <mode>, such as "FIFO". */
const char *
vg_config_file_type_name(mode_t mode);

/*
 * Creates, with mode 0755 (less the umask), every missing folder above
 * the files and sockets vigild writes: flows.output,
 * plugins.alerts_output, control.socket, web.vigild_socket,
 * alerts.database and the file endpoints' paths. The timeseries writer
 * creates timeseries.directory itself. Logs each folder it creates.
 * Returns 0, or -errno with "KEY: mkdir(PATH) failed: reason" in <err>.
 */
int
vg_config_make_folders(const struct vg_config *cfg, char *err,
		       size_t err_len);

/*
 * Formats "FILE:LINE:COL: <key>: " and the printf-style rest into <err>
 * for a value found at <at>, or "FILE: <key>: " when the file does not
 * set the key (line 0). Returns -EINVAL.
 */
int
vg_config_error_at(const struct vg_config *cfg,
		   const struct vg_config_mark *at, const char *key, char *err,
		   size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/*
 * Checks that <path> exists and is a directory, as plugins.directories and
 * vigild's --plugins require. Returns 0, or -1 with what is wrong in
 * <problem>: "cannot read '<path>': <strerror>" when stat() fails.
 */
int
vg_config_check_plugin_dir(const char *path, char *problem, size_t len);

/*
 * Checks that <path> is a text file: no NUL byte and no control character
 * other than tab, CR and LF. nDPI 4.2 crashes on some binary list files,
 * so they are refused before it reads them. Returns 0, or -EINVAL with
 * "byte N is 0xXX" in <problem>, or -errno when the file cannot be read.
 */
int
vg_config_check_text_file(const char *path, char *problem, size_t len);

/*
 * Checks that <path> is a regular, readable file that starts like a pcap
 * or pcapng capture, with the whole header of its format (24 bytes for
 * pcap, a 28-byte section header block for pcapng), without blocking on
 * a pipe. Returns 0, or -1 with what is wrong in <problem>.
 */
int
vg_config_check_capture_file(const char *path, char *problem, size_t len);

/*
 * Copies into <path> the file of the <index>th (0-based) rx_pcap=
 * argument of <vdev>, when <vdev> names a net_pcap device. Returns 1,
 * 0 when there is no such argument, or -1 when the file name does not
 * fit in <len> bytes.
 */
int
vg_config_vdev_rx_pcap(const char *vdev, unsigned int index, char *path,
		       size_t len);

/*
 * Returns the index in cfg->local_nets of the first network holding <addr>
 * (family 4 or 6, network order), or -1 when <addr> is not local.
 */
int
vg_config_local_net(const struct vg_config *cfg, int family,
		    const uint8_t *addr);

/* Returns true when <addr> (family 4 or 6, network order) is local. */
bool
vg_config_is_local(const struct vg_config *cfg, int family,
		   const uint8_t *addr);

#endif
