/*
 * The logger writes whole lines with one write() each, so lines from the
 * control thread and from DPDK's log do not interleave mid-line.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum vg_log_level log_level = VG_LOG_INFO;

static const char *const level_names[] = {
	[VG_LOG_ERR] = "error",
	[VG_LOG_WARN] = "warn",
	[VG_LOG_INFO] = "info",
	[VG_LOG_DEBUG] = "debug",
};

void
vg_log_set_level(enum vg_log_level level)
{
	log_level = level;
}

enum vg_log_level
vg_log_get_level(void)
{
	return log_level;
}

void
vg_vlog(enum vg_log_level level, const char *tag, const char *fmt,
	va_list ap)
{
	char line[1024];
	struct timespec now;
	struct tm tm;
	int len;
	int more;

	if (level > log_level)
		return;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	len = snprintf(line, sizeof(line),
		       "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
		       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		       tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000,
		       level_names[level], tag);
	if (len < 0)
		return;

	more = vsnprintf(line + len, sizeof(line) - (size_t)len, fmt, ap);
	if (more < 0)
		return;
	len += more;
	if ((size_t)len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	/* Drop a trailing newline the caller (or DPDK) added, then add one. */
	while (len > 0 && line[len - 1] == '\n')
		len--;
	line[len++] = '\n';

	if (write(STDERR_FILENO, line, (size_t)len) < 0)
		return;
}

void
vg_log(enum vg_log_level level, const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vg_vlog(level, tag, fmt, ap);
	va_end(ap);
}
