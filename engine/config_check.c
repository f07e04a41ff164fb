/*
 * vigild's checks of a configuration beyond the loader: the capture files
 * as libpcap reads them, the vdev strings as EAL parses them, the programs
 * a start runs, and plugins.scripts against the plugins.
 *
 * A script's options are typed by the script's own defaults, which only
 * loading the plugin reveals. So plugins.scripts is checked by
 * `vigil-sandbox --check-config`: the program a start runs to load the
 * plugins, found the same way, with the same rules (sandbox/
 * plugin_config.c). A check and a start therefore agree, and no plugin
 * code runs inside vigild. vigild reads the child's findings from a pipe,
 * one "error: TEXT" or "warning: TEXT" per line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_ring.h>

#include "capture/capture.h"
#include "config_check.h"
#include "engine.h"
#include "hosts.h"
#include "lcore.h"
#include "sandbox_sup.h"
#include "ts_writer.h"

/*
 * NOTE: the limit is an estimate. Loading takes milliseconds as a rule,
 * and each plugin file and setup() may run for at most 1 s
 * (VG_SBX_LOAD_BUDGET_MS), so only more than 60 of them, each using its
 * whole budget, reach it. A check that does is killed and reported.
 */
#define CHECK_TIMEOUT_MS 60000
#define OUTPUT_MAX (256u * 1024u) /* of the child's findings, kept */

extern char **environ;

static const struct vg_config_mark nowhere = { 0, 0 };

int
vg_check_programs(const struct vg_config *cfg, const char *argv0,
		  struct vg_config_report *report, char *err, size_t err_len)
{
	char path[VG_PATH_MAX];
	char problem[VG_PATH_MAX + 128];
	int rc;

	err[0] = '\0';
	if (cfg->ts_enabled &&
	    vg_ts_writer_find_program(path, sizeof(path), problem,
				      sizeof(problem)) != 0) {
		rc = vg_config_machine_problem_at(cfg, report, &cfg->timeseries_at,
						  "timeseries", err, err_len, "%s", problem);
		if (rc != 0)
			return rc;
	}
	if (cfg->plugin_dir_count > 0 && cfg->sandbox_path[0] == '\0' &&
	    vg_sandbox_find_program(cfg, argv0, path, sizeof(path), problem,
				    sizeof(problem)) != 0)
		return vg_config_machine_problem_at(cfg, report, &nowhere,
						    "plugins.sandbox_path", err, err_len,
						    "%s", problem);
	return 0;
}

#define MIB (1024.0 * 1024.0)

/*
 * EAL memory left for EAL itself: the memzones it reserves at start
 * (0.47 MiB with one net_pcap port and DPDK 22.11, read with
 * rte_malloc_get_socket_stats() right after rte_eal_init()), the vdev
 * drivers' queues and the malloc headers of vigild's allocations.
 * NOTE: chosen, not derived. Without hugepages, the smallest size the
 * check accepts was 3 to 4 MiB above the smallest that starts, in the
 * configurations tests/integration/eal_memory.py runs.
 */
#define EAL_MARGIN (4u << 20)

void
vg_eal_memory_need(const struct vg_config *cfg, struct vg_eal_memory *m)
{
	size_t pairs = (size_t)cfg->rx_lcore_count * cfg->engine_lcore_count;
	ssize_t ring = rte_ring_get_memsize(cfg->ring_size);

	vg_capture_eal_memory(cfg, m);
	m->rings = pairs * ((ring > 0 ? (size_t)ring : 0) +
			    vg_ring_return_memory(cfg->ring_size,
						  VG_ENGINE_BURST));
	m->engines = cfg->engine_lcore_count *
		     vg_engine_lcore_memory(cfg->plugin_dir_count > 0);
	m->margin = EAL_MARGIN;
	m->total = m->packet_pool + m->copy_pool + m->rings + m->engines +
		   m->margin;
}

int
vg_check_eal_memory(const struct vg_config *cfg, char *err, size_t err_len)
{
	static const struct vg_config_mark nowhere = { 0, 0 };
	char parts[384];
	struct vg_eal_memory m;
	size_t need_mb;

	err[0] = '\0';
	vg_eal_memory_need(cfg, &m);
	if ((uint64_t)cfg->memory_mb << 20 >= m.total)
		return 0;
	need_mb = (m.total + (1u << 20) - 1) >> 20;
	snprintf(parts, sizeof(parts),
		 "packet pool of %u mbufs %.1f MiB, frame copy pool %.1f MiB, rx-to-engine rings %.1f MiB, engine lcores' record buffers and rings %.1f MiB, margin for EAL %.1f MiB",
		 cfg->mbufs, m.packet_pool / MIB, m.copy_pool / MIB,
		 m.rings / MIB, m.engines / MIB, m.margin / MIB);
	/* Without memory.size_mb in the file, point at the mbufs that need more. */
	if (cfg->memory_mb_at.line == 0 && cfg->mbufs_at.line > 0)
		return vg_config_error_at(cfg, &cfg->mbufs_at, "memory.mbufs", err,
					  err_len,
					  "vigild allocates %zu MiB of EAL memory (%s), more than the %u MiB of the default memory.size_mb; set memory.size_mb to %zu or more, or lower memory.mbufs",
					  need_mb, parts, cfg->memory_mb, need_mb);
	return vg_config_error_at(cfg,
				  cfg->memory_mb_at.line > 0 ? &cfg->memory_mb_at :
							       &nowhere,
				  "memory.size_mb", err, err_len,
				  "%u MiB of EAL memory%s cannot hold the %zu MiB that vigild allocates from it (%s); set memory.size_mb to %zu or more, or lower memory.mbufs",
				  cfg->memory_mb,
				  cfg->memory_mb_at.line > 0 ? "" : " (the default)",
				  need_mb, parts, need_mb);
}

/*
 * VIGIL_SYSFS and VIGIL_PROCFS, set only by tests (as for
 * deploy/vigil-hugepages), replace /sys and /proc, so that the checks can
 * be tested without reserving hugepages or setting a cgroup limit.
 */
int
vg_check_memory(const struct vg_config *cfg, struct vg_config_report *report,
		char *err, size_t err_len)
{
	const char *sysfs = getenv("VIGIL_SYSFS");
	const char *procfs = getenv("VIGIL_PROCFS");
	struct vg_memory_need need;
	struct vg_eal_memory eal;
	size_t per_engine = vg_engine_memory(cfg->flow_table_size);

	vg_eal_memory_need(cfg, &eal);
	need.eal = (uint64_t)cfg->memory_mb << 20;
	if (eal.total > need.eal)
		need.eal = eal.total;
	/* main.c creates host tables when plugins or timeseries run. */
	if (cfg->plugin_dir_count > 0 || cfg->ts_enabled)
		per_engine += vg_host_table_memory(cfg->flow_table_size / 2);
	need.tables = (uint64_t)cfg->engine_lcore_count * per_engine;
	return vg_config_check_memory(cfg, sysfs != NULL ? sysfs : "/sys",
				      procfs != NULL ? procfs : "/proc", &need,
				      report, err, err_len);
}

int
vg_check_hugepages(const struct vg_config *cfg,
		   struct vg_config_report *report, char *err, size_t err_len)
{
	const char *sysfs = getenv("VIGIL_SYSFS");
	const char *procfs = getenv("VIGIL_PROCFS");

	return vg_config_check_hugepages(cfg, sysfs != NULL ? sysfs : "/sys",
					 procfs != NULL ? procfs : "/proc",
					 report, err, err_len);
}

/* Checks one capture file of port <index> (see vg_check_capture_files()). */
static int
check_capture_file(const struct vg_config *cfg, unsigned int index,
		   const char *path, struct vg_config_report *report,
		   char *err, size_t err_len)
{
	const struct vg_port_config *port = &cfg->ports[index];
	char problem[VG_PATH_MAX + PCAP_ERRBUF_SIZE + 64];
	char key[48];

	if (vg_config_check_capture_file(path, problem, sizeof(problem)) != 0 ||
	    vg_capture_check_file(path, problem, sizeof(problem)) == 0)
		return 0;
	snprintf(key, sizeof(key), "capture.ports[%u].%s", index,
		 port->kind == VG_PORT_PCAP ? "pcap" : "vdev");
	return vg_config_machine_problem_at(cfg, report, &port->at, key, err,
					    err_len, "%s", problem);
}

int
vg_check_capture_files(const struct vg_config *cfg,
		       struct vg_config_report *report, char *err,
		       size_t err_len)
{
	char path[VG_PATH_MAX];
	unsigned int i;
	unsigned int n;
	int rc;

	err[0] = '\0';
	for (i = 0; i < cfg->port_count; i++) {
		const struct vg_port_config *port = &cfg->ports[i];

		if (port->kind == VG_PORT_PCAP) {
			rc = check_capture_file(cfg, i, port->source, report,
						err, err_len);
			if (rc != 0)
				return rc;
			continue;
		}
		if (port->kind != VG_PORT_VDEV)
			continue;
		for (n = 0; vg_config_vdev_rx_pcap(port->source, n, path,
						   sizeof(path)) == 1;
		     n++) {
			rc = check_capture_file(cfg, i, path, report, err,
						err_len);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

int
vg_check_vdevs(const struct vg_config *cfg, struct vg_config_report *report,
	       char *err, size_t err_len)
{
	char problem[VG_PATH_MAX + 256];
	char key[48];
	unsigned int i;
	int rc;

	err[0] = '\0';
	for (i = 0; i < cfg->port_count; i++) {
		const struct vg_port_config *port = &cfg->ports[i];

		if (port->kind != VG_PORT_VDEV ||
		    vg_eal_check_vdev(port->source, problem,
				      sizeof(problem)) == 0)
			continue;
		snprintf(key, sizeof(key), "capture.ports[%u].vdev", i);
		rc = vg_config_machine_problem_at(cfg, report, &port->at, key,
						  err, err_len, "%s", problem);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Notes, for --check-config, that plugins.scripts was not checked. */
static void
note_not_checked(const struct vg_config *cfg, struct vg_config_report *report,
		 const char *why)
{
	char text[2 * VG_PATH_MAX];

	if (cfg->scripts_at.line == 0 ||
	    report->machine != VG_CONFIG_MACHINE_WARN)
		return;
	vg_config_error_at(cfg, &cfg->scripts_at, "plugins.scripts", text,
			   sizeof(text), "not checked against the plugins, because %s",
			   why);
	report->notes++;
	if (report->emit != NULL)
		report->emit(report->ctx, VG_CONFIG_NOTE, text);
}

static bool
plugin_dir_readable(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	       access(dir, R_OK | X_OK) == 0;
}

/*
 * Joins the plugin directories that can be read into <dirs>, separated by
 * commas, and returns how many were left out. The configuration loader
 * already warned about each of those.
 */
static unsigned int
join_readable_dirs(const struct vg_config *cfg, char *dirs, size_t dirs_len)
{
	unsigned int missing = 0;
	size_t used = 0;
	unsigned int i;

	dirs[0] = '\0';
	for (i = 0; i < cfg->plugin_dir_count; i++) {
		if (!plugin_dir_readable(cfg->plugin_dirs[i])) {
			missing++;
			continue;
		}
		used += (size_t)snprintf(dirs + used, dirs_len - used, "%s%s",
					 used > 0 ? "," : "",
					 cfg->plugin_dirs[i]);
	}
	return missing;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Output and end of one `vigil-sandbox --check-config` run. */
struct child_run {
	char *output;      /* NUL-terminated, at most OUTPUT_MAX bytes */
	size_t used;
	bool truncated;
	bool timed_out;
	int status;        /* from waitpid() */
};

/*
 * Reads <fd> until end of file or CHECK_TIMEOUT_MS, keeping what fits in
 * run->output.
 */
static void
read_output(int fd, struct child_run *run)
{
	long long deadline = now_ms() + CHECK_TIMEOUT_MS;
	char scratch[4096];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		size_t room = OUTPUT_MAX - run->used;
		ssize_t n;
		int ready;

		if (left <= 0) {
			run->timed_out = true;
			return;
		}
		ready = poll(&pfd, 1, (int)left);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return;
		if (ready == 0)
			continue;
		if (room > 0)
			n = read(fd, run->output + run->used, room);
		else
			n = read(fd, scratch, sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		if (room > 0)
			run->used += (size_t)n;
		else
			run->truncated = true;
	}
}

/*
 * Runs <sandbox> --check-config on cfg->path with the folders <dirs>,
 * stdin from /dev/null and stderr shared with vigild. <dirs_missing> adds
 * --plugin-dirs-missing, so that a script no plugin in <dirs> defines is
 * a warning. Returns 0 once it ended, or -errno with the reason in
 * <problem>.
 */
static int
run_sandbox_check(const struct vg_config *cfg, const char *sandbox,
		  char *dirs, bool dirs_missing, struct child_run *run,
		  char *problem, size_t problem_len)
{
	char *args[] = { (char *)sandbox, "--check-config", (char *)cfg->path,
			 "--plugins", dirs,
			 dirs_missing ? "--plugin-dirs-missing" : NULL, NULL };
	posix_spawn_file_actions_t actions;
	int fds[2];
	pid_t pid;
	int rc;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		rc = -errno;
		snprintf(problem, problem_len, "pipe2() failed: %s",
			 strerror(errno));
		return rc;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY,
					 0);
	/* dup2() leaves FD_CLOEXEC off the copy, so stdout stays open. */
	posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
	rc = posix_spawn(&pid, sandbox, &actions, NULL, args, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		snprintf(problem, problem_len, "cannot run %s: %s", sandbox,
			 strerror(rc));
		return -rc;
	}
	read_output(fds[0], run);
	close(fds[0]);
	if (run->timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &run->status, 0) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			snprintf(problem, problem_len, "waitpid() failed: %s",
				 strerror(errno));
			return rc;
		}
	}
	return 0;
}

#define MORE_ERRORS_LEN 48 /* kept free for "(N more errors not shown)" */

/*
 * Appends <line> to the lines in <errors>, or counts it in <dropped> when
 * it would not leave MORE_ERRORS_LEN bytes free.
 */
static void
add_error(char *errors, size_t len, const char *line, unsigned int *dropped)
{
	size_t used = strlen(errors);
	size_t need = strlen(line) + (used > 0 ? 1 : 0);

	if (used + need + MORE_ERRORS_LEN >= len) {
		(*dropped)++;
		return;
	}
	snprintf(errors + used, len - used, "%s%s", used > 0 ? "\n" : "", line);
}

/*
 * Sorts the child's lines into <errors> and <report>'s warnings. Returns
 * the number of errors, or -EINVAL when <report> made a warning an error.
 */
static int
pass_findings(const struct vg_config *cfg, const char *sandbox,
	      struct child_run *run, struct vg_config_report *report,
	      char *errors, size_t errors_len)
{
	unsigned int dropped = 0;
	int count = 0;
	char *save = NULL;
	char *line;
	int rc;

	run->output[run->used] = '\0';
	for (line = strtok_r(run->output, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "error: ", 7) == 0) {
			add_error(errors, errors_len, line + 7, &dropped);
			count++;
			continue;
		}
		if (strncmp(line, "warning: ", 9) == 0)
			rc = vg_config_report_machine(report, line + 9, errors,
						      errors_len);
		else
			rc = vg_config_machine_problem_at(cfg, report, &cfg->scripts_at,
							  "plugins.scripts", errors,
							  errors_len,
							  "unexpected output from %s --check-config: %s",
							  sandbox, line);
		if (rc != 0)
			return rc;
	}
	if (dropped > 0) {
		size_t used = strlen(errors);

		snprintf(errors + used, errors_len - used,
			 "%s(%u more errors not shown)", used > 0 ? "\n" : "",
			 dropped);
	}
	if (run->truncated) {
		rc = vg_config_machine_problem_at(cfg, report, &cfg->scripts_at,
						  "plugins.scripts", errors, errors_len,
						  "%s --check-config printed more than %u bytes; the rest was not read",
						  sandbox, OUTPUT_MAX);
		if (rc != 0)
			return rc;
	}
	return count;
}

/* Reports how the child ended when that was not with its verdict. */
static int
report_abnormal_end(const struct vg_config *cfg, const char *sandbox,
		    const struct child_run *run, int errors,
		    struct vg_config_report *report, char *err, size_t err_len)
{
	const char *key = "plugins.scripts";
	const struct vg_config_mark *at = &cfg->scripts_at;
	int code;

	if (run->timed_out)
		return vg_config_machine_problem_at(cfg, report, at, key, err, err_len,
						    "%s --check-config did not finish within %d s and was killed; the scripts were not checked",
						    sandbox, CHECK_TIMEOUT_MS / 1000);
	if (WIFSIGNALED(run->status))
		return vg_config_machine_problem_at(cfg, report, at, key, err, err_len,
						    "%s --check-config was killed by signal %d; the scripts were not checked",
						    sandbox, WTERMSIG(run->status));
	code = WEXITSTATUS(run->status);
	if (code == 0 || (code == 1 && errors > 0))
		return 0;
	/* 2 is a usage error, as from a vigil-sandbox without --check-config. */
	return vg_config_machine_problem_at(cfg, report, at, key, err, err_len,
					    "%s --check-config exited with status %d%s; the scripts were not checked",
					    sandbox, code,
					    code == 2 ? " (a usage error, so it may be older than vigild; install both from one build)" :
					    "");
}

int
vg_check_plugin_scripts(const struct vg_config *cfg, const char *argv0,
			struct vg_config_report *report, char *errors,
			size_t errors_len)
{
	static char dirs[VG_MAX_PLUGIN_DIRS * (VG_PATH_MAX + 1)];
	char sandbox[VG_PATH_MAX];
	char problem[VG_PATH_MAX + 128];
	struct child_run run = { 0 };
	unsigned int missing;
	int count;
	int rc;

	errors[0] = '\0';
	if (cfg->plugin_dir_count == 0 || cfg->path[0] == '\0')
		return 0;
	missing = join_readable_dirs(cfg, dirs, sizeof(dirs));
	if (missing == cfg->plugin_dir_count) {
		note_not_checked(cfg, report,
				 "no plugin directory can be read");
		return 0;
	}
	if (vg_sandbox_find_program(cfg, argv0, sandbox, sizeof(sandbox),
				    problem, sizeof(problem)) != 0 ||
	    access(sandbox, X_OK) != 0) {
		note_not_checked(cfg, report, "vigil-sandbox cannot be run");
		return 0;
	}
	run.output = malloc(OUTPUT_MAX + 1);
	if (run.output == NULL)
		return vg_config_machine_problem_at(cfg, report, &cfg->scripts_at,
						    "plugins.scripts", errors, errors_len,
						    "out of memory for the check of the scripts");
	rc = run_sandbox_check(cfg, sandbox, dirs, missing > 0, &run, problem,
			       sizeof(problem));
	if (rc != 0) {
		free(run.output);
		return vg_config_machine_problem_at(cfg, report, &cfg->scripts_at,
						    "plugins.scripts", errors, errors_len,
						    "%s; the scripts were not checked",
						    problem);
	}
	count = pass_findings(cfg, sandbox, &run, report, errors, errors_len);
	free(run.output);
	if (count < 0)
		return count;
	rc = report_abnormal_end(cfg, sandbox, &run, count, report, errors,
				 errors_len);
	if (rc != 0)
		return rc;
	return count > 0 ? -EINVAL : 0;
}
