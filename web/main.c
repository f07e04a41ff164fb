/*
 * vigil-web: the dashboard's HTTP server and REST API.
 *
 * It reads the same YAML file as vigild (its web: section, plus the
 * alert and timeseries paths), so an operator keeps one file. It never
 * links DPDK: live data comes from vigild over web.vigild_socket, and
 * vigil-web keeps serving (503 for live data) while vigild is down.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/alert_db.h"
#include "common/log.h"
#include "web.h"

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: vigil-web -c FILE [options]\n"
		"       vigil-web --check-config FILE\n"
		"\n"
		"  -c, --config FILE          vigil's YAML configuration (the web: section)\n"
		"      --check-config [FILE]  validate the file (FILE or -c FILE), its web\n"
		"                             files and folders, and exit (0 when valid);\n"
		"                             what this machine lacks is a warning\n"
		"      --strict               with --check-config: warnings make the file\n"
		"                             invalid\n"
		"      --set-password USER    read a password from standard input, store\n"
		"                             its hash for USER in web.data_dir and exit\n"
		"      --role ROLE            with --set-password: admin or readonly\n"
		"                             (default readonly)\n"
		"  -h, --help                 print this help\n"
		"  -V, --version              print the version\n");
}

/* Reads one line from stdin into <out> without echoing it on a terminal. */
static int
read_password(char *out, size_t len)
{
	struct termios old;
	struct termios quiet;
	bool tty = isatty(STDIN_FILENO) == 1;
	size_t n;

	if (tty) {
		fprintf(stderr, "password: ");
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	if (fgets(out, (int)len, stdin) == NULL)
		out[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fprintf(stderr, "\n");
	}
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return n > 0 ? 0 : -EINVAL;
}

static int
set_password(const struct vg_config *cfg, const char *user, const char *role)
{
	enum vg_role r = VG_ROLE_READONLY;
	char password[256];
	char err[512];
	int rc;

	if (role != NULL && strcmp(role, "admin") == 0)
		r = VG_ROLE_ADMIN;
	else if (role != NULL && strcmp(role, "readonly") != 0) {
		fprintf(stderr, "vigil-web: --role must be admin or readonly, got '%s'\n",
			role);
		return 1;
	}
	if (vg_config_check_web_data_dir(cfg, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil-web: %s\n", err);
		return 1;
	}
	if (read_password(password, sizeof(password)) != 0) {
		fprintf(stderr, "vigil-web: no password on standard input\n");
		return 1;
	}
	rc = vg_auth_set_password(cfg->web.data_dir, user, r, password, err,
				  sizeof(err));
	sodium_memzero(password, sizeof(password));
	if (rc != 0) {
		fprintf(stderr, "vigil-web: %s\n", err);
		return 1;
	}
	printf("vigil-web: password of user '%s' (%s) stored in %s/users\n",
	       user, vg_role_name(r), cfg->web.data_dir);
	return 0;
}

/*
 * Checks the users file in web.data_dir as vg_auth_init reads it at
 * start: a line it cannot parse is an error, and a mode that lets the
 * group or others read or write it is a warning (an error with
 * --strict). Returns 0, or -1 with the problem in <err>.
 */
static int
check_users(const struct vg_config *cfg, struct vg_config_report *report,
	    char *err, size_t err_len)
{
	char path[VG_PATH_MAX + sizeof(VG_WEB_USERS_FILE) + 1];
	char problem[3 * VG_PATH_MAX];

	if (vg_auth_check_users(cfg->web.data_dir, err, err_len) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", cfg->web.data_dir,
		 VG_WEB_USERS_FILE);
	if (vg_auth_users_mode_problem(path, problem, sizeof(problem)) &&
	    vg_config_report_machine(report, problem, err, err_len) != 0)
		return -1;
	return 0;
}

/*
 * Warns when web.static_dir is a system folder: in the log at a start
 * (NULL <report>), through <report> for --check-config. Returns 0, or -1
 * when <report> makes warnings errors.
 */
static int
warn_system_static_dir(const struct vg_config *cfg,
		       struct vg_config_report *report, char *err,
		       size_t err_len)
{
	char text[3 * VG_PATH_MAX];

	if (!vg_config_web_static_dir_warning(cfg, text, sizeof(text)))
		return 0;
	if (report == NULL) {
		VG_WARN("web", "%s", text);
		return 0;
	}
	return vg_config_report_machine(report, text, err, err_len) != 0 ? -1 :
									     0;
}

/*
 * Checks what vigil-web needs at start-up and the loader does not check:
 * web.vigild_socket, the web files and folders, and that OpenSSL loads
 * the certificate and key. A start passes a NULL <report>, which makes
 * each failed check an error. --check-config runs the same checks and
 * reports what this machine lacks as warnings, so a file it calls valid
 * without warnings does not fail on these later. It also parses the
 * users file, which a start reads in vg_auth_init. A web.static_dir
 * that is a system folder is only a warning, which a start logs. Returns
 * 0, or -1 with "FILE:LINE:COL: web.KEY: problem" (or the users file's problem) in
 * <err>.
 */
static int
check_files(const struct vg_config *cfg, struct vg_config_report *report,
	    char *err, size_t err_len)
{
	static const struct vg_config_mark nowhere;
	unsigned int warnings = report != NULL ? report->warnings : 0;
	bool tls_unreadable;
	void *ssl_ctx = NULL;
	char problem[1024];

	if (cfg->web.vigild_socket[0] == '\0') {
		vg_config_error_at(cfg, &nowhere, "web.vigild_socket", err,
				   err_len,
				   "not set; vigil-web needs vigild's API socket");
		return -1;
	}
	if (vg_config_check_web(cfg, report, err, err_len) != 0)
		return -1;
	tls_unreadable = report != NULL && report->warnings != warnings;
	if (warn_system_static_dir(cfg, report, err, err_len) != 0)
		return -1;
	if (report != NULL && check_users(cfg, report, err, err_len) != 0)
		return -1;
	/* OpenSSL would only repeat that a TLS file cannot be read. */
	if (tls_unreadable)
		return 0;
	if (vg_http_tls_load(cfg, &ssl_ctx, problem, sizeof(problem)) != 0)
		return vg_config_report_machine(report, problem, err,
						err_len) != 0 ? -1 : 0;
	vg_http_tls_free(ssl_ctx);
	return 0;
}

/* --check-config: the file, then vigil-web's own files and folders. */
static int
check_config(const char *path, bool strict)
{
	static struct vg_config cfg;
	/* vigild --check-config makes vigild's machine checks. */
	struct vg_config_report load = { .machine = VG_CONFIG_MACHINE_SKIP };
	struct vg_config_report report = {
		.machine = VG_CONFIG_MACHINE_WARN,
		.emit = vg_config_print_finding,
		.ctx = (void *)"vigil-web",
	};
	char err[1024];

	if (vg_config_load_report(&cfg, path, &load, err, sizeof(err)) != 0 ||
	    check_files(&cfg, &report, err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil-web: %s\n", err);
		return 1;
	}
	return vg_config_print_verdict("vigil-web", path, &report, strict) ?
		       1 : 0;
}

static uv_signal_t sigint_handle;
static uv_signal_t sigterm_handle;

static void
on_signal(uv_signal_t *handle, int signum)
{
	struct vg_web *web = handle->data;

	VG_INFO("web", "signal=%d received, stopping", signum);
	vg_http_stop(web);
	vg_vigild_stop(web->vigild);
	web->vigild = NULL;
	uv_close((uv_handle_t *)&sigint_handle, NULL);
	uv_close((uv_handle_t *)&sigterm_handle, NULL);
	uv_stop(web->loop);
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", optional_argument, NULL, 'k' },
		{ "strict", no_argument, NULL, 's' },
		{ "set-password", required_argument, NULL, 'p' },
		{ "role", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct vg_web web;
	const char *check_path = NULL;
	const char *user = NULL;
	const char *role = NULL;
	/* vigild's machine checks: vigil-web does not use what they look at. */
	struct vg_config_report load = { .machine = VG_CONFIG_MACHINE_SKIP };
	bool check = false;
	bool strict = false;
	char err[1024];
	int opt;
	int rc;

	while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			web.config_path = optarg;
			break;
		case 'k':
			check = true;
			check_path = optarg;
			break;
		case 's':
			strict = true;
			break;
		case 'p':
			user = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vigil-web %s\n", VG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* vigild's form, --check-config FILE, names the file without -c. */
	if (check && check_path == NULL && optind == argc - 1)
		check_path = argv[optind++];
	if (check_path != NULL) {
		if (web.config_path != NULL &&
		    strcmp(web.config_path, check_path) != 0) {
			fprintf(stderr, "vigil-web: -c %s and --check-config %s name two files; give one\n",
				web.config_path, check_path);
			return 2;
		}
		web.config_path = check_path;
	}
	if (web.config_path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (strict && !check) {
		fprintf(stderr, "vigil-web: --strict goes with --check-config\n");
		return 2;
	}
	if (check)
		return check_config(web.config_path, strict);
	if (vg_config_load_report(&web.cfg, web.config_path, &load, err,
				  sizeof(err)) != 0) {
		fprintf(stderr, "vigil-web: %s\n", err);
		return 1;
	}
	if (user != NULL)
		return set_password(&web.cfg, user, role);
	vg_log_set_level((enum vg_log_level)web.cfg.log_level);
	if (check_files(&web.cfg, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil-web: %s\n", err);
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	rc = vg_auth_init(&web.auth, &web.cfg.web, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "vigil-web: %s\n", err);
		return 1;
	}
	web.loop = uv_default_loop();
	web.vigild = vg_vigild_start(web.loop, web.cfg.web.vigild_socket);
	if (web.vigild == NULL || vg_http_start(&web) != 0)
		return 1;

	uv_signal_init(web.loop, &sigint_handle);
	uv_signal_init(web.loop, &sigterm_handle);
	sigint_handle.data = &web;
	sigterm_handle.data = &web;
	uv_signal_start(&sigint_handle, on_signal, SIGINT);
	uv_signal_start(&sigterm_handle, on_signal, SIGTERM);
	VG_INFO("web", "started vigild_socket=%s static_dir=%s login_required=%s",
		web.cfg.web.vigild_socket,
		web.cfg.web.static_dir[0] != '\0' ? web.cfg.web.static_dir :
						     "none",
		web.cfg.web.login_required ? "true" : "false");

	uv_run(web.loop, UV_RUN_DEFAULT);
	/* NOTE: h2o's context and open connections are not torn down: the
	 * process exits right after, which closes them. */
	vg_alert_db_close(web.alerts);
	VG_INFO("web", "stopped");
	return 0;
}
