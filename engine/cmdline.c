/*
 * vigild's command line; see cmdline.h.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "cmdline.h"
#include "config_check.h"
#include "engine.h"

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: vigild -c FILE\n"
		"       vigild --check-config FILE\n"
		"       vigild --pcap CAPTURE --flows OUT.jsonl [options]\n"
		"\n"
		"  -c, --config FILE       run with the YAML configuration FILE\n"
		"      --check-config FILE validate FILE and exit (0 when valid); what this\n"
		"                          machine lacks (CPUs, files, users) is a warning\n"
		"      --strict            with --check-config: warnings make FILE invalid\n"
		"      --pcap CAPTURE      read a pcap or pcapng file, no config needed;\n"
		"                          repeat it to read several files as one port each\n"
		"      --flows FILE        write flow records (JSON Lines) to FILE;\n"
		"                          required with --pcap\n"
		"      --protos FILE       nDPI custom protocols file\n"
		"      --categories FILE   nDPI custom categories file\n"
		"      --risky-domains FILE  nDPI risky domains list\n"
		"      --ja3 FILE          nDPI malicious JA3 fingerprints (CSV)\n"
		"      --sha1 FILE         nDPI malicious certificate SHA1s (CSV)\n"
		"      --engine-cpus LIST  CPUs for engine lcores, e.g. 1,1 for two on CPU 1\n"
		"      --rx-cpus LIST      CPUs for rx lcores\n"
		"      --idle-timeout SEC  idle timeout for every protocol, seconds\n"
		"      --active-timeout SEC  split flows longer than SEC seconds, 0 = never\n"
		"      --plugins DIR       run the plugins under DIR in vigil-sandbox processes\n"
		"      --alerts FILE       write the alerts plugins raise (JSON Lines) to FILE;\n"
		"                          requires --plugins or a file's plugins section\n"
		"      --control-socket PATH  accept commands on a Unix socket: reload,\n"
		"                             reopen, stats, and with an alert store\n"
		"                             exclude, unexclude, exclusions and\n"
		"                             alerts engaged\n"
		"      --stats FILE        write the final counters as JSON to FILE at exit\n"
		"      --log-level LEVEL   error, warn, info or debug\n"
		"      --ts-fetch DIR SCHEMA ELEMENT  print a timeseries as JSON (--ts-fetch --help)\n"
		"  -h, --help              show this help\n"
		"  -V, --version           show the version\n"
		"\n"
		"Flow and alert records are appended to regular files, never truncated.\n"
		"SIGHUP reloads the plugins; SIGUSR1 (or the control socket's reopen)\n"
		"reopens the record files by path, after a rotation; SIGINT or SIGTERM\n"
		"stops vigild once every flow is written.\n");
}

/*
 * Parses <text>, the comma-separated CPU numbers given to <option>, into
 * <cpus> (room for VG_MAX_LCORES entries) and <count>. Returns 0, or
 * prints the problem and returns -EINVAL (malformed list, CPU not on this
 * machine, too many entries) or -ENOMEM. Every entry is checked before the
 * length, so a malformed entry past the limit is reported as malformed.
 */
static int
parse_cpu_list(const char *option, const char *example, const char *text,
	       unsigned int *cpus, unsigned int *count)
{
	long cpu_count = sysconf(_SC_NPROCESSORS_CONF);
	size_t len = strlen(text);
	unsigned int entries = 0;
	char *save = NULL;
	char *copy;
	char *item;

	/* strtok_r would skip the empty item in "1,,1": reject it. */
	if (len == 0 || strstr(text, ",,") != NULL || text[0] == ',' ||
	    text[len - 1] == ',')
		goto invalid;
	copy = strdup(text);
	if (copy == NULL) {
		fprintf(stderr, "vigild: %s: strdup() failed: out of memory\n",
			option);
		return -ENOMEM;
	}
	for (item = strtok_r(copy, ",", &save); item != NULL;
	     item = strtok_r(NULL, ",", &save)) {
		char *end;
		long cpu;

		/* strtol() would also take " 1" and "+1". */
		if (!isdigit((unsigned char)item[0])) {
			free(copy);
			goto invalid;
		}
		cpu = strtol(item, &end, 10);
		if (*end != '\0' || cpu < 0 || cpu >= cpu_count) {
			free(copy);
			goto invalid;
		}
		if (entries < VG_MAX_LCORES)
			cpus[entries] = (unsigned int)cpu;
		entries++;
	}
	free(copy);

	if (entries > VG_MAX_LCORES) {
		fprintf(stderr, "vigild: %s: too many entries: %u CPUs listed, at most %d (one per lcore)\n",
			option, entries, VG_MAX_LCORES);
		return -EINVAL;
	}
	*count = entries;
	return 0;

invalid:
	fprintf(stderr, "vigild: %s: expected a list such as %s of CPUs 0..%ld, got '%s'\n",
		option, example, cpu_count - 1, text);
	return -EINVAL;
}

static int
set_path(char *dst, const char *src, const char *option)
{
	if (strlen(src) >= VG_PATH_MAX) {
		fprintf(stderr, "vigild: %s: path too long\n", option);
		return -ENAMETOOLONG;
	}
	strcpy(dst, src);
	return 0;
}

/*
 * Checks the path of an output given as <option> with the rules of a
 * configuration file's output keys (vg_config_check_output_path()): not
 * in /proc, /sys or on a kernel file system, and not a directory or a
 * device that <kind> cannot take. check_option_value() has already
 * rejected an empty path.
 */
static int
check_output_option(const char *path, const char *option,
		    enum vg_output_kind kind)
{
	char problem[3 * VG_PATH_MAX];

	if (vg_config_check_output_path(path, kind, problem,
					sizeof(problem)) != 0) {
		fprintf(stderr, "vigild: %s: %s\n", option, problem);
		return -EINVAL;
	}
	return 0;
}

/* Copies the path of an output given as <option>, once checked. */
static int
set_output_path(char *dst, const char *src, const char *option,
		enum vg_output_kind kind)
{
	if (set_path(dst, src, option) != 0)
		return -ENAMETOOLONG;
	return check_output_option(src, option, kind);
}

/*
 * Copies the path of an nDPI list given as <option>, after checking what a
 * configuration file's ndpi section checks: a readable regular text file.
 */
static int
set_input_path(char *dst, const char *src, const char *option)
{
	char problem[128];
	struct stat st;

	if (set_path(dst, src, option) != 0)
		return -ENAMETOOLONG;
	if (stat(src, &st) != 0 || access(src, R_OK) != 0) {
		fprintf(stderr, "vigild: %s: cannot read '%s': %s\n", option, src,
			strerror(errno));
		return -ENOENT;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "vigild: %s: '%s' is not a regular file\n", option,
			src);
		return -EINVAL;
	}
	if (vg_config_check_text_file(src, problem, sizeof(problem)) != 0) {
		fprintf(stderr, "vigild: %s: '%s' is not a text file: %s\n", option,
			src, problem);
		return -EINVAL;
	}
	return 0;
}

static int
log_level_of(const char *name)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	int i;

	for (i = 0; i < 4; i++) {
		if (strcmp(name, names[i]) == 0)
			return i;
	}
	return -1;
}

/* Prints each line of <lines> on stderr after "vigild: ". */
static void
print_errors(char *lines)
{
	char *save = NULL;
	char *line;

	for (line = strtok_r(lines, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "vigild: %s\n", line);
}

/*
 * Runs --check-config on the file <path>: every check of a start, with
 * what this machine lacks reported as warnings (errors with <strict>),
 * and what a start would create as notes, then plugins.scripts against
 * the plugins through vigil-sandbox, found from <argv0> as a start finds
 * it. Returns 1 when the file is valid, or a negative errno.
 */
static int
check_config(const char *path, const char *argv0, bool strict)
{
	static struct vg_config cfg;
	static char errors[16384];
	struct vg_config_report report = {
		.machine = VG_CONFIG_MACHINE_WARN,
		.emit = vg_config_print_finding,
		.ctx = (void *)"vigild",
	};
	int rc;

	rc = vg_config_load_report(&cfg, path, &report, errors,
				   sizeof(errors));
	if (rc == 0)
		rc = vg_config_check(&cfg, errors, sizeof(errors));
	if (rc == 0)
		rc = vg_check_eal_memory(&cfg, errors, sizeof(errors));
	if (rc == 0)
		rc = vg_check_hugepages(&cfg, &report, errors, sizeof(errors));
	if (rc == 0)
		rc = vg_check_memory(&cfg, &report, errors, sizeof(errors));
	if (rc == 0)
		rc = vg_check_capture_files(&cfg, &report, errors,
					    sizeof(errors));
	if (rc == 0)
		rc = vg_check_vdevs(&cfg, &report, errors, sizeof(errors));
	if (rc == 0)
		rc = vg_check_programs(&cfg, argv0, &report, errors,
				       sizeof(errors));
	if (rc == 0)
		rc = vg_check_plugin_scripts(&cfg, argv0, &report, errors,
					     sizeof(errors));
	if (rc == 0)
		rc = vg_engine_check_ndpi_files(&cfg, errors, sizeof(errors));
	if (rc != 0) {
		print_errors(errors);
		return rc;
	}
	rc = vg_config_print_verdict("vigild", path, &report, strict);
	return rc != 0 ? rc : 1;
}

/*
 * Makes each of the <count> --pcap files a capture-file port with one rx
 * queue, named pcap0, pcap1..., as `pcap:` ports of a configuration
 * would be. They are read together, and vigild ends once all of them
 * have been read. Returns 0, or -EINVAL after printing the problem with
 * the file it is about.
 */
static int
add_pcap_ports(struct vg_config *cfg, const char *const *paths,
	       unsigned int count)
{
	char problem[VG_PATH_MAX + 128];
	unsigned int i;

	for (i = 0; i < count; i++) {
		struct vg_port_config *port = &cfg->ports[i];

		port->kind = VG_PORT_PCAP;
		port->rx_queues = 1;
		if (set_path(port->source, paths[i], "--pcap"))
			return -EINVAL;
		snprintf(port->name, sizeof(port->name), "pcap%u", i);
		if (vg_config_check_capture_file(paths[i], problem,
						 sizeof(problem)) != 0 ||
		    vg_capture_check_file(paths[i], problem,
					  sizeof(problem)) != 0) {
			fprintf(stderr, "vigild: --pcap: %s\n", problem);
			return -EINVAL;
		}
	}
	cfg->port_count = count;
	return 0;
}

/* The values getopt_long() returns for the long options with no short one. */
enum { OPT_CHECK = 256, OPT_PCAP, OPT_FLOWS, OPT_PROTOS, OPT_CATS,
       OPT_RISKY, OPT_JA3, OPT_SHA1, OPT_ENGINES, OPT_RXS, OPT_IDLE, OPT_ACTIVE,
       OPT_STATS, OPT_LOG, OPT_PLUGINS, OPT_ALERTS, OPT_CONTROL,
       OPT_STRICT };

/*
 * Returns the kind of value the option <opt> takes, as messages name it,
 * or NULL when it takes none.
 */
static const char *
option_value_kind(int opt)
{
	switch (opt) {
	case OPT_PCAP:
		return "capture file";
	case OPT_ENGINES:
	case OPT_RXS:
		return "CPU list";
	case OPT_IDLE:
	case OPT_ACTIVE:
		return "number of seconds";
	case OPT_PLUGINS:
		return "directory";
	case OPT_CONTROL:
		return "socket path";
	case OPT_LOG:
		return "log level";
	case 'c':
	case OPT_CHECK:
	case OPT_FLOWS:
	case OPT_PROTOS:
	case OPT_CATS:
	case OPT_RISKY:
	case OPT_JA3:
	case OPT_SHA1:
	case OPT_STATS:
	case OPT_ALERTS:
		return "file name";
	default:
		return NULL;
	}
}

/* Writes option <opt> as a user types it: "--flows", or "-c". */
static void
spell_option(int opt, const struct option *entry, char *out, size_t size)
{
	if (entry != NULL)
		snprintf(out, size, "--%s", entry->name);
	else
		snprintf(out, size, "-%c", opt);
}

/*
 * Rejects <value>, which getopt_long() took as the value of <opt>, when it
 * is an empty path, or starts with "--" or is -c, -h or -V, so that
 * "--check-config --strict FILE" does not check a file named "--strict".
 * A value such as "-1" is left to the option's own check, and a file named
 * "--x" can be given as "./--x". <entry> is the option's long entry, or
 * NULL for -c. Returns 0, or -EINVAL after printing the problem.
 */
static int
check_option_value(int opt, const struct option *entry, const char *value)
{
	const char *kind = option_value_kind(opt);
	char spelled[32];

	if (kind == NULL)
		return 0;
	/* CPU lists, numbers and log levels get their own checks' messages. */
	if (value[0] == '\0' && opt != OPT_ENGINES && opt != OPT_RXS &&
	    opt != OPT_IDLE && opt != OPT_ACTIVE && opt != OPT_LOG) {
		spell_option(opt, entry, spelled, sizeof(spelled));
		fprintf(stderr, "vigild: %s: must not be empty; give a %s\n",
			spelled, kind);
		return -EINVAL;
	}
	if (strncmp(value, "--", 2) != 0 && strcmp(value, "-c") != 0 &&
	    strcmp(value, "-h") != 0 && strcmp(value, "-V") != 0)
		return 0;

	spell_option(opt, entry, spelled, sizeof(spelled));
	fprintf(stderr, "vigild: %s: expected a %s, got the option '%s'; give the %s right after %s\n",
		spelled, kind, value, kind, spelled);
	return -EINVAL;
}

int
vg_parse_args(struct vg_config *cfg, const char **config_out,
	      const char **stats_out, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, OPT_CHECK },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "pcap", required_argument, NULL, OPT_PCAP },
		{ "flows", required_argument, NULL, OPT_FLOWS },
		{ "protos", required_argument, NULL, OPT_PROTOS },
		{ "categories", required_argument, NULL, OPT_CATS },
		{ "risky-domains", required_argument, NULL, OPT_RISKY },
		{ "ja3", required_argument, NULL, OPT_JA3 },
		{ "sha1", required_argument, NULL, OPT_SHA1 },
		{ "engine-cpus", required_argument, NULL, OPT_ENGINES },
		{ "rx-cpus", required_argument, NULL, OPT_RXS },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "active-timeout", required_argument, NULL, OPT_ACTIVE },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "plugins", required_argument, NULL, OPT_PLUGINS },
		{ "alerts", required_argument, NULL, OPT_ALERTS },
		{ "control-socket", required_argument, NULL, OPT_CONTROL },
		{ "log-level", required_argument, NULL, OPT_LOG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL;
	const char *pcap_paths[VG_MAX_PORTS];
	unsigned int pcap_count = 0;
	const char *engine_cpus = NULL;
	const char *rx_cpus = NULL;
	long idle = 0;
	long active = -1;
	bool check_only = false;
	bool strict = false;
	char err[4 * VG_PATH_MAX];
	unsigned int i;
	int opt;
	int rc;

	vg_config_defaults(cfg);
	/* Options may come in any order, so the nDPI files go to a side copy. */
	struct vg_config side;
	vg_config_defaults(&side);

	for (;;) {
		const struct option *entry = NULL;
		int long_index = -1;

		opt = getopt_long(argc, argv, "c:hV", options, &long_index);
		if (opt == -1)
			break;
		if (long_index >= 0)
			entry = &options[long_index];
		if (check_option_value(opt, entry, optarg) != 0)
			return -EINVAL;
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case OPT_CHECK:
			config_path = optarg;
			check_only = true;
			break;
		case OPT_STRICT:
			strict = true;
			break;
		case OPT_PCAP:
			if (pcap_count == VG_MAX_PORTS) {
				fprintf(stderr, "vigild: --pcap: at most %d capture files, as many as the ports of a configuration; got more\n",
					VG_MAX_PORTS);
				return -EINVAL;
			}
			pcap_paths[pcap_count++] = optarg;
			break;
		case OPT_FLOWS:
			if (set_output_path(side.flow_output, optarg, "--flows",
					    VG_OUTPUT_RECORDS))
				return -EINVAL;
			break;
		case OPT_PROTOS:
			if (set_input_path(side.ndpi_protos, optarg, "--protos"))
				return -EINVAL;
			break;
		case OPT_CATS:
			if (set_input_path(side.ndpi_categories, optarg, "--categories"))
				return -EINVAL;
			break;
		case OPT_RISKY:
			if (set_input_path(side.ndpi_risky_domains, optarg,
					   "--risky-domains"))
				return -EINVAL;
			break;
		case OPT_JA3:
			if (set_input_path(side.ndpi_ja3, optarg, "--ja3"))
				return -EINVAL;
			break;
		case OPT_SHA1:
			if (set_input_path(side.ndpi_sha1, optarg, "--sha1"))
				return -EINVAL;
			break;
		case OPT_ENGINES:
			engine_cpus = optarg;
			break;
		case OPT_RXS:
			rx_cpus = optarg;
			break;
		case OPT_IDLE: {
			char *end;

			/*
			 * Up to ten years, so that a capture spanning days
			 * can be read as one flow per key, as nDPI's reader
			 * does.
			 */
			idle = strtol(optarg, &end, 10);
			if (*end != '\0' || idle < 1 || idle > 315360000) {
				fprintf(stderr,
					"vigild: --idle-timeout: must be 1..315360000 seconds, got '%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		}
		case OPT_ACTIVE: {
			char *end;

			active = strtol(optarg, &end, 10);
			if (*end != '\0' || active < 0 || active > 315360000) {
				fprintf(stderr,
					"vigild: --active-timeout: must be 0..315360000 seconds, got '%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		}
		case OPT_STATS:
			if (check_output_option(optarg, "--stats",
						VG_OUTPUT_RECORDS))
				return -EINVAL;
			*stats_out = optarg;
			break;
		case OPT_PLUGINS: {
			char problem[VG_PATH_MAX + 64];

			if (side.plugin_dir_count == VG_MAX_PLUGIN_DIRS) {
				fprintf(stderr, "vigild: --plugins: at most %d directories\n",
					VG_MAX_PLUGIN_DIRS);
				return -EINVAL;
			}
			if (set_path(side.plugin_dirs[side.plugin_dir_count],
				     optarg, "--plugins"))
				return -EINVAL;
			if (vg_config_check_plugin_dir(optarg, problem,
						       sizeof(problem)) != 0) {
				fprintf(stderr, "vigild: --plugins: %s\n",
					problem);
				return -EINVAL;
			}
			side.plugin_dir_count++;
			break;
		}
		case OPT_ALERTS:
			if (set_output_path(side.alerts_output, optarg,
					    "--alerts", VG_OUTPUT_RECORDS))
				return -EINVAL;
			break;
		case OPT_CONTROL:
			if (strlen(optarg) >= 108) {
				fprintf(stderr, "vigild: --control-socket: a socket path must be shorter than 108 bytes\n");
				return -EINVAL;
			}
			if (check_output_option(optarg, "--control-socket",
						VG_OUTPUT_SOCKET))
				return -EINVAL;
			strcpy(side.control_socket, optarg);
			break;
		case OPT_LOG:
			if (log_level_of(optarg) < 0) {
				fprintf(stderr,
					"vigild: --log-level: expected error, warn, info or debug, got '%s'\n",
					optarg);
				return -EINVAL;
			}
			vg_log_set_level((enum vg_log_level)log_level_of(optarg));
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("vigild %s\n", VG_VERSION);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigild: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}

	if (check_only && pcap_count > 0) {
		fprintf(stderr, "vigild: --check-config FILE checks a configuration file and reads no capture; drop --pcap, or name the capture in the file's capture.ports\n");
		return -EINVAL;
	}
	if (config_path != NULL && pcap_count > 0) {
		fprintf(stderr, "vigild: use either -c FILE or --pcap CAPTURE, not both\n");
		return -EINVAL;
	}
	if (strict && !check_only) {
		fprintf(stderr, "vigild: --strict requires --check-config FILE\n");
		return -EINVAL;
	}
	if (check_only)
		return check_config(config_path, argv[0], strict);
	if (config_path != NULL) {
		struct vg_config_report report = {
			.machine = VG_CONFIG_MACHINE_ENFORCE,
			.plugin_dirs_replaced = side.plugin_dir_count > 0,
		};

		*config_out = config_path;
		rc = vg_config_load_report(cfg, config_path, &report, err,
					   sizeof(err));
		if (rc == 0)
			rc = vg_check_capture_files(cfg, NULL, err, sizeof(err));
		if (rc == 0)
			rc = vg_check_vdevs(cfg, NULL, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "vigild: %s\n", err);
			return rc;
		}
	} else if (pcap_count > 0) {
		/* Without -c FILE, only --flows can set flows.output. */
		if (side.flow_output[0] == '\0') {
			fprintf(stderr, "vigild: --pcap requires --flows FILE; add --flows OUT.jsonl, or --flows /dev/null to discard the flow records\n");
			return -EINVAL;
		}
		rc = add_pcap_ports(cfg, pcap_paths, pcap_count);
		if (rc != 0)
			return rc;
	} else {
		fprintf(stderr, "vigild: no input: give -c FILE or --pcap CAPTURE\n");
		usage(stderr);
		return -EINVAL;
	}

	/* Command-line options override the file. */
	if (side.flow_output[0]) {
		strcpy(cfg->flow_output, side.flow_output);
		cfg->flow_output_option = "--flows";
	}
	if (side.ndpi_protos[0])
		strcpy(cfg->ndpi_protos, side.ndpi_protos);
	if (side.ndpi_categories[0])
		strcpy(cfg->ndpi_categories, side.ndpi_categories);
	if (side.ndpi_risky_domains[0])
		strcpy(cfg->ndpi_risky_domains, side.ndpi_risky_domains);
	if (side.ndpi_ja3[0])
		strcpy(cfg->ndpi_ja3, side.ndpi_ja3);
	if (side.ndpi_sha1[0])
		strcpy(cfg->ndpi_sha1, side.ndpi_sha1);
	/*
	 * --plugins replaces the bundled plugins a plugins: section defaults
	 * to. The loader skipped the bundled folder's check in that case
	 * (plugin_dirs_replaced).
	 */
	if (side.plugin_dir_count > 0 && cfg->plugin_dirs_bundled) {
		cfg->plugin_dir_count = 0;
		cfg->plugin_dirs_bundled = false;
	}
	for (i = 0; i < side.plugin_dir_count; i++) {
		if (cfg->plugin_dir_count == VG_MAX_PLUGIN_DIRS)
			break;
		strcpy(cfg->plugin_dirs[cfg->plugin_dir_count++],
		       side.plugin_dirs[i]);
	}
	if (side.alerts_output[0]) {
		/* Only plugins raise alerts, so the file would stay empty. */
		if (cfg->plugin_dir_count == 0) {
			fprintf(stderr, "vigild: --alerts requires plugins, but none are configured; add --plugins DIR\n");
			return -EINVAL;
		}
		strcpy(cfg->alerts_output, side.alerts_output);
		cfg->alerts_output_option = "--alerts";
	}
	if (side.control_socket[0]) {
		strcpy(cfg->control_socket, side.control_socket);
		cfg->control_socket_option = "--control-socket";
	}
	cfg->stats_path = *stats_out;
	if (engine_cpus != NULL) {
		rc = parse_cpu_list("--engine-cpus", "1,1", engine_cpus,
				    cfg->engine_cpus, &cfg->engine_lcore_count);
		if (rc != 0)
			return rc;
	}
	if (rx_cpus != NULL) {
		rc = parse_cpu_list("--rx-cpus", "1", rx_cpus, cfg->rx_cpus,
				    &cfg->rx_lcore_count);
		if (rc != 0)
			return rc;
	}
	if (active >= 0)
		cfg->active_timeout = (uint32_t)active;
	if (idle > 0) {
		cfg->idle_timeout_tcp = (uint32_t)idle;
		cfg->idle_timeout_udp = (uint32_t)idle;
		cfg->idle_timeout_icmp = (uint32_t)idle;
		cfg->idle_timeout_other = (uint32_t)idle;
	}

	rc = vg_config_check(cfg, err, sizeof(err));
	if (rc == 0)
		rc = vg_check_eal_memory(cfg, err, sizeof(err));
	if (rc == 0)
		rc = vg_check_hugepages(cfg, NULL, err, sizeof(err));
	if (rc == 0)
		rc = vg_check_memory(cfg, NULL, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "vigild: %s\n", err);
		return rc;
	}
	return 0;
}
