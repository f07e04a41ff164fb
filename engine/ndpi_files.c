/*
 * The nDPI module of an engine lcore and the lists it loads: custom
 * protocols, categories, risky domains, JA3 and SHA1 fingerprints.
 *
 * nDPI 4.2's loaders print a line they cannot use on stdout and go on, so
 * each list is loaded with stdout captured, and such a line becomes an
 * error that names the file and the line. --check-config runs the same
 * loading on a throwaway module, so a list that would stop an engine lcore
 * at start is rejected before EAL starts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ndpi/ndpi_api.h>

#include "common/config.h"
#include "engine.h"

static int
call_ndpi_loader(struct ndpi_detection_module_struct *ndpi, const char *what,
		 const char *path)
{
	if (strcmp(what, "protocols") == 0)
		return ndpi_load_protocols_file(ndpi, path);
	if (strcmp(what, "categories") == 0)
		return ndpi_load_categories_file(ndpi, path);
	if (strcmp(what, "risky_domains") == 0)
		return ndpi_load_risk_domain_file(ndpi, path);
	if (strcmp(what, "ja3") == 0)
		return ndpi_load_malicious_ja3_file(ndpi, path);
	return ndpi_load_malicious_sha1_file(ndpi, path);
}

/*
 * Runs nDPI's loader of list <what> with stdout sent to a temporary file.
 * nDPI 4.2 reports a protocols line it cannot use with printf() on stdout
 * (for example "Unknown rule 'x'") and goes on, so the report would
 * otherwise go unnoticed. Copies the first reported line into <report>
 * (empty when nDPI printed nothing) and counts the lines in <reports>.
 * Returns the loader's return value.
 */
static int
load_capturing_stdout(struct ndpi_detection_module_struct *ndpi,
		      const char *what, const char *path, char *report,
		      size_t report_len, unsigned int *reports)
{
	FILE *out = tmpfile();
	int saved = -1;
	char line[512];
	int rc;

	report[0] = '\0';
	*reports = 0;
	fflush(stdout);
	if (out != NULL)
		saved = dup(STDOUT_FILENO);
	if (saved >= 0 && dup2(fileno(out), STDOUT_FILENO) < 0) {
		close(saved);
		saved = -1;
	}
	rc = call_ndpi_loader(ndpi, what, path);
	if (saved >= 0) {
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
		rewind(out);
		while (fgets(line, sizeof(line), out) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '\0')
				continue;
			if ((*reports)++ == 0) {
				size_t n = strlen(line);

				if (n >= report_len)
					n = report_len - 1;
				memcpy(report, line, n);
				report[n] = '\0';
			}
		}
	}
	if (out != NULL)
		fclose(out);
	return rc;
}

/*
 * Returns the number of the first line of <path> that contains the text
 * nDPI quoted in <report> ('...'), or 0 when there is none.
 */
static unsigned int
reported_line(const char *path, const char *report)
{
	const char *open = strchr(report, '\'');
	const char *close = strrchr(report, '\'');
	char quoted[256];
	char line[4096];
	unsigned int number = 0;
	size_t len;
	FILE *f;

	if (open == NULL || close <= open + 1)
		return 0;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(quoted))
		len = sizeof(quoted) - 1;
	memcpy(quoted, open + 1, len);
	quoted[len] = '\0';
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		number++;
		if (strstr(line, quoted) != NULL) {
			fclose(f);
			return number;
		}
	}
	fclose(f);
	return 0;
}

/*
 * Returns how many lines of <path> contain an entry, that is, lines that
 * are neither blank nor a '#' comment.
 */
static unsigned int
count_entries(const char *path)
{
	char line[4096];
	unsigned int entries = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = line + strspn(line, " \t");

		if (*p != '\0' && *p != '\n' && *p != '\r' && *p != '#')
			entries++;
	}
	fclose(f);
	return entries;
}

/*
 * Loads nDPI list <what> from <path>. A protocols line nDPI reports as
 * unusable, or a list of which nDPI takes none of the entries, is an error
 * naming the file (and the line, when the report quotes it). nDPI's other
 * loaders return how many entries they took.
 */
static int
load_ndpi_file(struct ndpi_detection_module_struct *ndpi, const char *what,
	       const char *path, char *err, size_t err_len)
{
	char problem[128];
	char report[256];
	unsigned int reports;
	unsigned int entries;
	int rc;

	if (path[0] == '\0')
		return 0;
	if (vg_config_check_text_file(path, problem, sizeof(problem)) != 0) {
		snprintf(err, err_len, "ndpi.%s: %s is not a text file: %s",
			 what, path, problem);
		return -EINVAL;
	}

	rc = load_capturing_stdout(ndpi, what, path, report, sizeof(report),
				   &reports);
	if (rc < 0) {
		snprintf(err, err_len, "ndpi.%s: cannot load %s (nDPI returned %d)",
			 what, path, rc);
		return -EINVAL;
	}
	if (reports > 0) {
		unsigned int line = reported_line(path, report);

		if (line > 0)
			snprintf(err, err_len,
				 "ndpi.%s: %s:%u: nDPI cannot use this line: %s (%u such report%s in all)",
				 what, path, line, report, reports,
				 reports == 1 ? "" : "s");
		else
			snprintf(err, err_len,
				 "ndpi.%s: %s: nDPI cannot use a line: %s (%u such report%s in all)",
				 what, path, report, reports,
				 reports == 1 ? "" : "s");
		return -EINVAL;
	}
	entries = count_entries(path);
	if (strcmp(what, "protocols") != 0 && rc == 0 && entries > 0) {
		snprintf(err, err_len,
			 "ndpi.%s: %s: nDPI took none of its %u entries; check the file's format in nDPI's example lists",
			 what, path, entries);
		return -EINVAL;
	}
	return 0;
}

/*
 * Loads list <what> like load_ndpi_file(), unless <path> is not a readable
 * regular file: the configuration check has reported that one already.
 */
static int
check_ndpi_file(struct ndpi_detection_module_struct *ndpi, const char *what,
		const char *path, char *err, size_t err_len)
{
	struct stat st;

	if (path[0] == '\0' || stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    access(path, R_OK) != 0)
		return 0;
	return load_ndpi_file(ndpi, what, path, err, err_len);
}

int
vg_engine_check_ndpi_files(const struct vg_config *cfg, char *err,
			   size_t err_len)
{
	struct ndpi_detection_module_struct *ndpi;
	int rc;

	ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (ndpi == NULL) {
		snprintf(err, err_len, "ndpi_init_detection_module() failed");
		return -ENOMEM;
	}
	rc = check_ndpi_file(ndpi, "protocols", cfg->ndpi_protos, err,
			     err_len);
	if (rc == 0)
		rc = check_ndpi_file(ndpi, "categories", cfg->ndpi_categories,
				     err, err_len);
	if (rc == 0)
		rc = check_ndpi_file(ndpi, "risky_domains",
				     cfg->ndpi_risky_domains, err, err_len);
	if (rc == 0)
		rc = check_ndpi_file(ndpi, "ja3", cfg->ndpi_ja3, err, err_len);
	if (rc == 0)
		rc = check_ndpi_file(ndpi, "sha1", cfg->ndpi_sha1, err, err_len);
	ndpi_exit_detection_module(ndpi);
	return rc;
}

struct ndpi_detection_module_struct *
vg_ndpi_create(const struct vg_config *cfg, char *err, size_t err_len)
{
	struct ndpi_detection_module_struct *ndpi;
	NDPI_PROTOCOL_BITMASK all;

	ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (ndpi == NULL) {
		snprintf(err, err_len, "ndpi_init_detection_module() failed");
		return NULL;
	}

	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(ndpi, &all);

	if (load_ndpi_file(ndpi, "protocols", cfg->ndpi_protos, err,
			   err_len) ||
	    load_ndpi_file(ndpi, "categories", cfg->ndpi_categories, err,
			   err_len) ||
	    load_ndpi_file(ndpi, "risky_domains", cfg->ndpi_risky_domains, err,
			   err_len) ||
	    load_ndpi_file(ndpi, "ja3", cfg->ndpi_ja3, err, err_len) ||
	    load_ndpi_file(ndpi, "sha1", cfg->ndpi_sha1, err, err_len)) {
		ndpi_exit_detection_module(ndpi);
		return NULL;
	}

	ndpi_finalize_initialization(ndpi);
	return ndpi;
}
