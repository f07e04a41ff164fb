/*
 * vigil-ts-writer: the process that owns every rrd file. ts_wire.h
 * explains why it is a process and how vigild talks to it. ts_writer.h
 * describes a point.
 *
 * The process remembers, for each file it has touched, the last update
 * time and the order of the file's data sources. The first point for a
 * file reads both from the file (after an rrdcached flush, so pending
 * updates count), or creates the file. Each update is written in the
 * file's own data-source order, so a file created by an older vigild with
 * the same names in another order still takes the right values, and
 * rrdcached, which takes no template, gets them right too.
 *
 * A point that follows its file's last update by more than one interval
 * (vigild was stopped, or a host was idle) is preceded by an update at the
 * start of its interval, or of its watched part when a live run began
 * inside it. That update is unknown when nothing was watching, and 0 when
 * the point's series records that the gap was watched and quiet
 * (zero_after). Without it rrdtool would spread the point's value over the
 * whole gap. Data sources get a heartbeat of a day, so that one such
 * update covers a gap of up to a day. The explicit updates, not the
 * heartbeat, are what mark a gap unknown.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "common/log.h"
#include "common/number_text.h"
#include "ts_wire.h"

#define ERRORS_LOGGED 20     /* then one line per ERRORS_LOG_EVERY */
#define ERRORS_LOG_EVERY 10000
#define VALUE_TEXT 32        /* one value as text, with its ':' */
#define HEARTBEAT_MIN 86400  /* seconds; see the top of this file */
#define RETRY_AFTER_S 300    /* point time before a failed file is retried */

/* The record of one file. */
struct ts_file {
	char *path;                  /* relative; NULL for an empty slot */
	uint64_t last;               /* last update time in the file */
	unsigned int ds_count;
	char (*ds_names)[VG_TS_DS_NAME_LEN]; /* in the file's order */
	bool failed;                 /* could not be read or created */
	uint64_t retry_at;           /* point time of the next try, if failed */
};

struct ts_store {
	char dir[VG_PATH_MAX];
	struct vg_ts_archive archives[VG_TS_ARCHIVES_MAX];
	unsigned int archive_count;
	bool cached;                 /* updates go through rrdcached */

	/* files by relative path, open addressing */
	struct ts_file *files;
	size_t file_slots;           /* a power of two */
	size_t file_count;

	struct vg_ts_wire_stats *stats; /* shared with vigild */
	uint64_t errors_logged;
};

static void
count(_Atomic uint64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* ---- the file table ---- */

static struct ts_file *
file_slot(struct ts_file *files, size_t slots, const char *path)
{
	size_t i = (size_t)vg_ts_hash_name(path) & (slots - 1);

	while (files[i].path != NULL && strcmp(files[i].path, path) != 0)
		i = (i + 1) & (slots - 1);
	return &files[i];
}

/* Doubles the table when it is half full. Returns 0 or -ENOMEM. */
static int
files_grow(struct ts_store *w)
{
	size_t slots = w->file_slots ? w->file_slots * 2 : 1024;
	struct ts_file *files;
	size_t i;

	if (w->file_slots != 0 && w->file_count < w->file_slots / 2)
		return 0;
	files = calloc(slots, sizeof(*files));
	if (files == NULL)
		return -ENOMEM;
	for (i = 0; i < w->file_slots; i++) {
		if (w->files[i].path != NULL)
			*file_slot(files, slots, w->files[i].path) = w->files[i];
	}
	free(w->files);
	w->files = files;
	w->file_slots = slots;
	return 0;
}

static void
files_free(struct ts_store *w)
{
	size_t i;

	for (i = 0; i < w->file_slots; i++) {
		free(w->files[i].path);
		free(w->files[i].ds_names);
	}
	free(w->files);
}

/* ---- rrd files ---- */

/*
 * Logs an error: the first ERRORS_LOGGED, then one in ERRORS_LOG_EVERY,
 * each with the number so far. The first one is also kept for vigild's
 * summary at exit.
 */
__attribute__((format(printf, 2, 3))) static void
log_error(struct ts_store *w, const char *fmt, ...)
{
	char text[VG_TS_WIRE_ERROR_LEN];
	va_list ap;

	w->errors_logged++;
	if (w->errors_logged > ERRORS_LOGGED &&
	    w->errors_logged % ERRORS_LOG_EVERY != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (w->stats->first_error[0] == '\0')
		snprintf(w->stats->first_error,
			 sizeof(w->stats->first_error), "%s", text);
	VG_WARN("timeseries", "%s (errors=%" PRIu64 ")", text,
		w->errors_logged);
	if (w->errors_logged == ERRORS_LOGGED)
		VG_WARN("timeseries", "logging one timeseries error in %d from now on",
			ERRORS_LOG_EVERY);
}

/*
 * Writes why an rrdtool call on <full> failed into <out> and returns it:
 * librrd's error text when it set one. librrd 1.7.2 sets none when a
 * write fails on a full disk, and its clean-up unlink() then leaves
 * errno at ENOENT, so without a text the free space of the file system
 * is checked against <need>, the bytes the call had to write (0 when
 * unknown): too little names ENOSPC. Then comes the errno <saved> after
 * the call, or "unknown".
 */
static const char *
rrd_reason(const char *full, int saved, uint64_t need, char *out,
	   size_t len)
{
	const char *text = rrd_get_error();
	char dir[VG_PATH_MAX + VG_TS_PATH_MAX];
	struct statvfs fs;
	char *slash;

	if (text != NULL && text[0] != '\0')
		return text;
	snprintf(dir, sizeof(dir), "%s", full);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	if (statvfs(slash != NULL ? dir : ".", &fs) == 0) {
		uint64_t free_bytes = (uint64_t)fs.f_bavail * fs.f_frsize;

		if (free_bytes == 0 || free_bytes < need) {
			snprintf(out, len, "%s (ENOSPC: about %" PRIu64 " bytes to write, %" PRIu64 " free; librrd gave no message)",
				 strerror(ENOSPC), need, free_bytes);
			return out;
		}
		if (fs.f_files > 0 && fs.f_favail == 0) {
			snprintf(out, len, "%s (ENOSPC: no free inode; librrd gave no message)",
				 strerror(ENOSPC));
			return out;
		}
	}
	if (saved != 0)
		snprintf(out, len, "%s (errno after the call; librrd gave no message)",
			 strerror(saved));
	else
		snprintf(out, len, "unknown error (librrd gave no message and no errno)");
	return out;
}

int
vg_ts_make_parents(char *full)
{
	char *slash = full;
	int rc = 0;

	while (rc == 0 && (slash = strchr(slash + 1, '/')) != NULL) {
		*slash = '\0';
		if (mkdir(full, 0755) != 0 && errno != EEXIST)
			rc = -errno;
		*slash = '/';
	}
	return rc;
}

/*
 * Returns an estimate of the size of an rrd file with <n> data sources
 * and <rows> rows over all archives: 8 bytes per value, plus 4 KiB for
 * the headers (a few hundred bytes per data source and archive).
 */
static uint64_t
file_size(unsigned int n, uint64_t rows)
{
	return rows * n * sizeof(double) + 4096;
}

static const char *const type_names[] = { "GAUGE", "ABSOLUTE", "DERIVE" };

/*
 * Creates the file for <point> at <full>, starting one interval before
 * the point so that the point fills exactly its own interval. Archives
 * are the configured ones whose resolution is a multiple of the point's
 * step. When none is, one archive at the step keeps as long as the
 * longest configured one.
 */
static int
create_file(struct ts_store *w, char *full, const struct vg_ts_point *p)
{
	const char *argv[VG_TS_DS_MAX + 2 * VG_TS_ARCHIVES_MAX + 2];
	char defs[VG_TS_DS_MAX + 2 * VG_TS_ARCHIVES_MAX + 2][96];
	uint32_t heartbeat = 2 * (p->interval > p->step ? p->interval : p->step);
	uint32_t longest = 0;
	uint64_t rows = 0;              /* in every archive, for file_size() */
	int argc = 0;
	unsigned int i;
	int rc;

	if (heartbeat < HEARTBEAT_MIN)
		heartbeat = HEARTBEAT_MIN;
	for (i = 0; i < p->n; i++) {
		snprintf(defs[argc], sizeof(defs[argc]), "DS:%s:%s:%u:%s:U",
			 p->ds[i].name, type_names[p->ds[i].type], heartbeat,
			 p->ds[i].type == VG_TS_GAUGE ? "U" : "0");
		argv[argc] = defs[argc];
		argc++;
	}
	for (i = 0; i < w->archive_count; i++) {
		const struct vg_ts_archive *a = &w->archives[i];

		if (a->keep > longest)
			longest = a->keep;
		if (a->resolution < p->step || a->resolution % p->step != 0)
			continue;
		snprintf(defs[argc], sizeof(defs[argc]), "RRA:AVERAGE:0.5:%u:%u",
			 a->resolution / p->step, a->keep / a->resolution);
		argv[argc] = defs[argc];
		argc++;
		rows += 2ULL * (a->keep / a->resolution);
		snprintf(defs[argc], sizeof(defs[argc]), "RRA:MAX:0.5:%u:%u",
			 a->resolution / p->step, a->keep / a->resolution);
		argv[argc] = defs[argc];
		argc++;
	}
	if (argc == p->n) {
		uint32_t step_rows = longest / p->step ? longest / p->step : 1;

		snprintf(defs[argc], sizeof(defs[argc]), "RRA:AVERAGE:0.5:1:%u",
			 step_rows);
		argv[argc] = defs[argc];
		argc++;
		rows += 2ULL * step_rows;
		snprintf(defs[argc], sizeof(defs[argc]), "RRA:MAX:0.5:1:%u",
			 step_rows);
		argv[argc] = defs[argc];
		argc++;
	}
	rc = vg_ts_make_parents(full);
	if (rc != 0) {
		log_error(w, "file=%s mkdir() failed: %s", full, strerror(-rc));
		return rc;
	}
	rrd_clear_error();
	errno = 0;
	if (rrd_create_r2(full, p->step, (time_t)(p->time - p->interval), 1,
			  NULL, NULL, argc, argv) != 0) {
		int saved = errno;
		char reason[256];

		log_error(w, "file=%s rrd_create_r2() failed: %s", full,
			  rrd_reason(full, saved, file_size(p->n, rows),
				     reason, sizeof(reason)));
		/*
		 * The file did not exist before this call. A part of it left
		 * on a full disk would fail every later try to read it.
		 */
		unlink(full);
		return -EIO;
	}
	return 0;
}

/* Fills <f> from the existing file <full>. Returns 0, -ENOENT or -EIO. */
static int
read_file(struct ts_store *w, const char *full, struct ts_file *f)
{
	unsigned long ds_count = 0;
	char **names = NULL;
	char **last_values = NULL;
	time_t last = 0;
	unsigned long i;

	if (access(full, F_OK) != 0)
		return -ENOENT;
	/* Pending updates in rrdcached count for the last update time. */
	if (w->cached && rrdc_flush(full) != 0)
		log_error(w, "file=%s rrdcached flush failed: %s", full,
			  rrd_get_error());
	rrd_clear_error();
	errno = 0;
	if (rrd_lastupdate_r(full, &last, &ds_count, &names, &last_values) !=
	    0) {
		int saved = errno;
		char reason[256];

		log_error(w, "file=%s rrd_lastupdate_r() failed: %s", full,
			  rrd_reason(full, saved, 0, reason, sizeof(reason)));
		return -EIO;
	}
	f->ds_names = calloc(ds_count ? ds_count : 1, sizeof(*f->ds_names));
	for (i = 0; i < ds_count; i++) {
		if (f->ds_names != NULL)
			snprintf(f->ds_names[i], VG_TS_DS_NAME_LEN, "%s",
				 names[i]);
		free(names[i]);
		free(last_values[i]);
	}
	free(names);
	free(last_values);
	if (f->ds_names == NULL)
		return -ENOMEM;
	f->ds_count = (unsigned int)ds_count;
	f->last = last > 0 ? (uint64_t)last : 0;
	return 0;
}

/*
 * Finds or sets up the file of <p>. Returns NULL when it cannot be used.
 * A file that failed is tried again by the first point RETRY_AFTER_S
 * after the one that failed, so a disk that fills up and is cleared
 * again costs the points in between, and one error per file per try.
 */
static struct ts_file *
open_file(struct ts_store *w, char *full, const struct vg_ts_point *p)
{
	struct ts_file *f;
	unsigned int i;
	int rc;

	if (files_grow(w) != 0)
		return NULL;
	f = file_slot(w->files, w->file_slots, p->path);
	if (f->path != NULL && !f->failed)
		return f;
	if (f->path != NULL) {
		if (p->time < f->retry_at)
			return NULL;
		free(f->ds_names);
		f->ds_names = NULL;
		f->ds_count = 0;
		f->last = 0;
	} else {
		memset(f, 0, sizeof(*f));
		f->path = strdup(p->path);
		if (f->path == NULL)
			return NULL;
		w->file_count++;
	}
	rc = read_file(w, full, f);
	if (rc == -ENOENT) {
		rc = create_file(w, full, p);
		count(rc == 0 ? &w->stats->files_created : &w->stats->create_errors);
		if (rc == 0) {
			f->ds_names = calloc(p->n, sizeof(*f->ds_names));
			rc = f->ds_names == NULL ? -ENOMEM : 0;
		}
		for (i = 0; rc == 0 && i < p->n; i++)
			memcpy(f->ds_names[i], p->ds[i].name,
			       VG_TS_DS_NAME_LEN);
		f->ds_count = p->n;
		f->last = p->time - p->interval;
	}
	if (rc != 0 && !f->failed)
		count(&w->stats->files_failed);
	else if (rc == 0 && f->failed)
		atomic_fetch_sub(&w->stats->files_failed, 1);
	f->failed = rc != 0;
	f->retry_at = p->time + RETRY_AFTER_S;
	return f->failed ? NULL : f;
}

static void
format_value(char *out, size_t len, double v, uint8_t type)
{
	if (isnan(v))
		snprintf(out, len, ":U");
	else if (type == VG_TS_DERIVE)
		snprintf(out, len, ":%.0f", v); /* rrdtool takes integers only */
	else if (len > 1) {
		out[0] = ':';
		vg_format_double(out + 1, len - 1, v);
	}
}

/* Formats "TIME:v1:v2..." in the file's data-source order. */
static void
format_update(struct ts_store *w, const struct ts_file *f,
	      const struct vg_ts_point *p, uint64_t time, char *out,
	      size_t len)
{
	bool used[VG_TS_DS_MAX] = { false };
	size_t at;
	unsigned int i;
	unsigned int j;

	at = (size_t)snprintf(out, len, "%" PRIu64, time);
	for (i = 0; i < f->ds_count && at < len; i++) {
		double v = NAN;
		uint8_t type = VG_TS_GAUGE;

		for (j = 0; j < p->n; j++) {
			if (strcmp(f->ds_names[i], p->ds[j].name) == 0) {
				v = p->values[j];
				type = p->ds[j].type;
				used[j] = true;
				break;
			}
		}
		format_value(out + at, len - at, v, type);
		at += strlen(out + at);
	}
	for (j = 0; j < p->n; j++) {
		if (!used[j]) {
			count(&w->stats->ds_unknown);
			log_error(w, "file=%s has no data source %s; value dropped",
				  p->path, p->ds[j].name);
		}
	}
}

static void
write_point(struct ts_store *w, const struct vg_ts_point *p)
{
	char full[VG_PATH_MAX + VG_TS_PATH_MAX];
	char gap[VG_TS_DS_MAX * 2 + 24];
	char update[VG_TS_DS_MAX * VALUE_TEXT + 24];
	char unwatched[VG_TS_DS_MAX * 2 + 24];
	const char *argv[3];
	uint64_t begin;
	struct ts_file *f;
	int argc = 0;
	unsigned int i;
	int rc;

	snprintf(full, sizeof(full), "%s/%s", w->dir, p->path);
	f = open_file(w, full, p);
	if (f == NULL) {
		count(&w->stats->update_errors);
		return;
	}
	if (p->time <= f->last) {
		count(&w->stats->skipped_old);
		return;
	}
	/* The watched part of the interval starts here. */
	begin = p->time - p->interval + p->watched_from;
	if (f->last < begin) {
		/* Before a live start nothing was watching, even after zero_after. */
		bool quiet = p->watched_from == 0 && p->zero_after != 0 &&
			     f->last >= p->zero_after;
		size_t at = (size_t)snprintf(gap, sizeof(gap), "%" PRIu64,
					     begin);

		for (i = 0; i < f->ds_count; i++, at += 2)
			memcpy(gap + at, quiet ? ":0" : ":U", 3);
		argv[argc++] = gap;
	}
	if (p->watched > 0 && p->watched < p->interval) {
		/*
		 * vigild stopped inside the interval: the values cover its
		 * watched start only, and the rest reads unknown, so that
		 * rrdtool does not spread them over the whole interval.
		 */
		size_t at = (size_t)snprintf(unwatched, sizeof(unwatched),
					     "%" PRIu64, p->time);

		for (i = 0; i < f->ds_count; i++, at += 2)
			memcpy(unwatched + at, ":U", 3);
		format_update(w, f, p, p->time - p->interval + p->watched,
			      update, sizeof(update));
		argv[argc++] = update;
		argv[argc++] = unwatched;
	} else {
		format_update(w, f, p, p->time, update, sizeof(update));
		argv[argc++] = update;
	}
	rrd_clear_error();
	errno = 0;
	if (w->cached)
		rc = rrdc_update(full, argc, argv);
	else
		rc = rrd_update_r(full, NULL, argc, argv);
	if (rc != 0) {
		int saved = errno;
		char reason[256];

		count(&w->stats->update_errors);
		log_error(w, "file=%s time=%" PRIu64 " update failed: %s",
			  full, p->time,
			  rrd_reason(full, saved, 0, reason, sizeof(reason)));
		return;
	}
	f->last = p->time;
	count(&w->stats->updates);
}

/* ---- the process ---- */

static int
reply(int sock, const char *fmt, ...)
{
	char text[VG_TS_WIRE_REPLY_MAX];
	va_list ap;

	text[0] = 1;
	va_start(ap, fmt);
	vsnprintf(text + 1, sizeof(text) - 1, fmt, ap);
	va_end(ap);
	if (send(sock, text, strlen(text + 1) + 1, MSG_NOSIGNAL) < 0)
		VG_ERR("timeseries", "%s", text + 1);
	return 1;
}

/* Reads the configuration message and replies to it. Returns 0 when ready. */
static int
store_setup(struct ts_store *w, int sock)
{
	struct vg_ts_wire_config cfg;
	ssize_t n;

	do
		n = recv(sock, &cfg, sizeof(cfg), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(cfg))
		return reply(sock, "timeseries writer: configuration message of %zd bytes, expected %zu",
			     n, sizeof(cfg));
	cfg.dir[sizeof(cfg.dir) - 1] = '\0';
	cfg.daemon[sizeof(cfg.daemon) - 1] = '\0';
	if (cfg.archive_count > VG_TS_ARCHIVES_MAX)
		return reply(sock, "timeseries writer: %u archives, at most %u",
			     cfg.archive_count, VG_TS_ARCHIVES_MAX);
	memcpy(w->dir, cfg.dir, sizeof(w->dir));
	memcpy(w->archives, cfg.archives, sizeof(w->archives));
	w->archive_count = cfg.archive_count;
	if (files_grow(w) != 0)
		return reply(sock, "timeseries writer: out of memory");
	if (cfg.daemon[0] != '\0') {
		rrd_clear_error();
		if (rrdc_connect(cfg.daemon) != 0)
			return reply(sock, "timeseries.rrdcached %s: connect failed: %s",
				     cfg.daemon, rrd_get_error());
		w->cached = true;
	}
	if (send(sock, "", 1, MSG_NOSIGNAL) != 1) {
		VG_ERR("timeseries", "writer: send() failed: %s",
		       strerror(errno));
		return 1;
	}
	return 0;
}

int
vg_ts_store_main(int argc, char **argv)
{
	int sock = VG_TS_WIRE_SOCKET_FD;
	struct ts_store w = { 0 };
	void *buf;
	int rc = 0;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "vigil-ts-writer is started by vigild, which "
				"hands it a socket and counters as descriptors "
				"%d and %d; it takes no arguments\n",
			VG_TS_WIRE_SOCKET_FD, VG_TS_WIRE_STATS_FD);
		return 2;
	}
	/*
	 * vigild stops the process by closing the socket, after its last
	 * point: a signal meant for vigild's service must not cut the
	 * writing short.
	 */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	w.stats = mmap(NULL, sizeof(*w.stats), PROT_READ | PROT_WRITE,
		       MAP_SHARED, VG_TS_WIRE_STATS_FD, 0);
	buf = aligned_alloc(8, (VG_TS_WIRE_POINT_MAX + 8) & ~(size_t)7);
	if (w.stats == MAP_FAILED || buf == NULL) {
		VG_ERR("timeseries", "writer: no counters or buffer: %s",
		       strerror(errno));
		return 1;
	}
	/* A process started after a crash has tried no file yet. */
	atomic_store(&w.stats->files_failed, 0);
	if (store_setup(&w, sock) != 0)
		return 1;
	for (;;) {
		ssize_t n = recv(sock, buf, VG_TS_WIRE_POINT_MAX, 0);
		struct vg_ts_point *p;

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			VG_ERR("timeseries", "writer: recv() failed: %s",
			       strerror(errno));
			rc = 1;
			break;
		}
		p = vg_ts_wire_point_open(buf, (size_t)n);
		if (p != NULL) {
			write_point(&w, p);
		} else {
			count(&w.stats->update_errors);
			log_error(&w, "message of %zd bytes is not a point", n);
		}
		atomic_fetch_add(&w.stats->done, 1);
	}
	/*
	 * NOTE: librrd 1.7 exports no flush-all for clients, and flushing
	 * each file would rewrite them all at once. So points stay in
	 * rrdcached until its own timer, or until a reader (ts_fetch.c)
	 * flushes the file it reads.
	 */
	if (w.cached)
		rrdc_disconnect();
	files_free(&w);
	free(buf);
	return rc;
}
