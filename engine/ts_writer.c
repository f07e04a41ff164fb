/*
 * The timeseries writer thread; see ts_writer.h.
 *
 * The queue is a ring of point pointers with one producer (the control
 * thread) and one consumer (this thread). The thread sleeps on an eventfd
 * when the ring is empty. The producer writes to the eventfd only when the
 * thread has announced that it sleeps, so a busy writer costs the producer
 * no system call. Both sides use sequentially consistent atomics for the
 * "sleeping" flag and the ring positions: the consumer sets the flag and
 * then looks at the ring, the producer fills the ring and then looks at
 * the flag, so at least one of them sees the other.
 *
 * The thread remembers, for each file it has touched, the last update time
 * and the order of the file's data sources. The first point for a file
 * reads both from the file (after an rrdcached flush, so pending updates
 * count), or creates the file. Each update is written in the file's own
 * data-source order, so a file created by an older vigild with the same
 * names in another order still takes the right values, and rrdcached,
 * which takes no template, gets them right too.
 *
 * A point that follows its file's last update by more than one interval
 * (vigild was stopped, or a host was idle) is preceded by an update at the
 * start of its interval, or of its watched part when a live run began
 * inside it: unknown when nothing was watching, 0 when the
 * point's series says the gap was watched and quiet (zero_after). Without
 * it rrdtool would spread the point's value over the whole gap. Data
 * sources get a heartbeat of a day, so that one such update covers a gap
 * of up to a day; the explicit updates, not the heartbeat, are what mark
 * a gap unknown.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "common/log.h"
#include "ts_writer.h"

#define ERRORS_LOGGED 20     /* then one line per ERRORS_LOG_EVERY */
#define ERRORS_LOG_EVERY 10000
#define VALUE_TEXT 32        /* one value as text, with its ':' */
#define HEARTBEAT_MIN 86400  /* seconds; see the top of this file */

/* The thread's record of one file. */
struct ts_file {
	char *path;                  /* relative; NULL for an empty slot */
	uint64_t last;               /* last update time in the file */
	unsigned int ds_count;
	char (*ds_names)[VG_TS_DS_NAME_LEN]; /* in the file's order */
	bool failed;                 /* could not be read or created */
};

struct vg_ts_writer {
	/* producer side */
	struct vg_ts_point **ring;
	uint64_t ring_mask;
	uint64_t capacity;           /* points waiting at most */
	_Atomic uint64_t head;       /* next slot the producer fills */
	_Atomic uint64_t tail;       /* next slot the consumer empties */
	_Atomic uint64_t done;       /* points finished by the consumer */
	_Atomic int sleeping;
	_Atomic int stopping;
	int wake_fd;
	pthread_t thread;

	/* configuration */
	char dir[VG_PATH_MAX];
	char daemon[VG_PATH_MAX];    /* rrdcached address, "" = none */
	struct vg_ts_archive archives[VG_TS_ARCHIVES_MAX];
	unsigned int archive_count;
	bool cached;                 /* updates go through rrdcached */

	/* consumer side: files by relative path, open addressing */
	struct ts_file *files;
	size_t file_slots;           /* a power of two */
	size_t file_count;

	/* counters, written by one side, read by both */
	_Atomic uint64_t points_queued;
	_Atomic uint64_t points_dropped;
	_Atomic uint64_t high_water;
	_Atomic uint64_t updates;
	_Atomic uint64_t update_errors;
	_Atomic uint64_t skipped_old;
	_Atomic uint64_t files_created;
	_Atomic uint64_t create_errors;
	_Atomic uint64_t ds_unknown;
	uint64_t errors_logged;
};

static void
count(_Atomic uint64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* ---- points ---- */

static bool
path_is_safe(const char *path)
{
	const char *p = path;

	if (path[0] == '\0' || path[0] == '/')
		return false;
	while (*p != '\0') {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += len;
		if (*p == '/')
			p++;
	}
	return true;
}

struct vg_ts_point *
vg_ts_point_new(const char *path, unsigned int n)
{
	size_t path_len = strlen(path);
	struct vg_ts_point *point;
	size_t head;
	unsigned int i;

	if (n == 0 || n > VG_TS_DS_MAX || path_len >= VG_TS_PATH_MAX ||
	    !path_is_safe(path))
		return NULL;
	/* Values first after the header, so they stay 8-byte aligned. */
	head = (sizeof(*point) + path_len + 1 + 7) & ~(size_t)7;
	point = calloc(1, head + n * (sizeof(double) + sizeof(struct vg_ts_ds)));
	if (point == NULL)
		return NULL;
	memcpy(point->path, path, path_len + 1);
	point->values = (double *)((char *)point + head);
	point->ds = (struct vg_ts_ds *)(point->values + n);
	point->n = (uint16_t)n;
	for (i = 0; i < n; i++)
		point->values[i] = NAN;
	return point;
}

void
vg_ts_point_free(struct vg_ts_point *point)
{
	free(point);
}

static bool
ds_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

void
vg_ts_ds_name(const char *name, char out[VG_TS_DS_NAME_LEN])
{
	size_t len = strlen(name);
	uint32_t hash = 2166136261u;
	size_t i;

	for (i = 0; i < len && i < VG_TS_DS_NAME_LEN - 1; i++)
		out[i] = ds_char_ok(name[i]) ? name[i] : '_';
	out[i] = '\0';
	if (len == 0) {
		strcpy(out, "value");
		return;
	}
	if (len < VG_TS_DS_NAME_LEN)
		return;
	for (i = 0; i < len; i++)
		hash = (hash ^ (unsigned char)name[i]) * 16777619u;
	snprintf(out + 13, VG_TS_DS_NAME_LEN - 13, "_%05u", hash % 100000);
}

/* ---- the file table ---- */

static uint64_t
hash_path(const char *path)
{
	uint64_t h = 14695981039346656037ull;

	for (; *path != '\0'; path++)
		h = (h ^ (unsigned char)*path) * 1099511628211ull;
	return h;
}

static struct ts_file *
file_slot(struct ts_file *files, size_t slots, const char *path)
{
	size_t i = (size_t)hash_path(path) & (slots - 1);

	while (files[i].path != NULL && strcmp(files[i].path, path) != 0)
		i = (i + 1) & (slots - 1);
	return &files[i];
}

/* Doubles the table when it is half full. Returns 0 or -ENOMEM. */
static int
files_grow(struct vg_ts_writer *w)
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
files_free(struct vg_ts_writer *w)
{
	size_t i;

	for (i = 0; i < w->file_slots; i++) {
		free(w->files[i].path);
		free(w->files[i].ds_names);
	}
	free(w->files);
}

/* ---- rrd files ---- */

__attribute__((format(printf, 2, 3))) static void
log_error(struct vg_ts_writer *w, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	w->errors_logged++;
	if (w->errors_logged > ERRORS_LOGGED &&
	    w->errors_logged % ERRORS_LOG_EVERY != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	VG_WARN("timeseries", "%s (errors=%" PRIu64 ")", text,
		w->errors_logged);
}

/* Creates every missing directory above the file <full>. */
static int
make_parents(char *full)
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

static const char *const type_names[] = { "GAUGE", "ABSOLUTE", "DERIVE" };

/*
 * Creates the file for <point> at <full>, starting one interval before
 * the point so that the point fills exactly its own interval. Archives
 * are the configured ones whose resolution is a multiple of the point's
 * step; when none is, one archive at the step keeps as long as the
 * longest configured one.
 */
static int
create_file(struct vg_ts_writer *w, char *full, const struct vg_ts_point *p)
{
	const char *argv[VG_TS_DS_MAX + 2 * VG_TS_ARCHIVES_MAX + 2];
	char defs[VG_TS_DS_MAX + 2 * VG_TS_ARCHIVES_MAX + 2][96];
	uint32_t heartbeat = 2 * (p->interval > p->step ? p->interval : p->step);
	uint32_t longest = 0;
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
		snprintf(defs[argc], sizeof(defs[argc]), "RRA:MAX:0.5:%u:%u",
			 a->resolution / p->step, a->keep / a->resolution);
		argv[argc] = defs[argc];
		argc++;
	}
	if (argc == p->n) {
		uint32_t rows = longest / p->step ? longest / p->step : 1;

		snprintf(defs[argc], sizeof(defs[argc]), "RRA:AVERAGE:0.5:1:%u",
			 rows);
		argv[argc] = defs[argc];
		argc++;
		snprintf(defs[argc], sizeof(defs[argc]), "RRA:MAX:0.5:1:%u", rows);
		argv[argc] = defs[argc];
		argc++;
	}
	rc = make_parents(full);
	if (rc != 0) {
		log_error(w, "file=%s mkdir() failed: %s", full, strerror(-rc));
		return rc;
	}
	rrd_clear_error();
	if (rrd_create_r2(full, p->step, (time_t)(p->time - p->interval), 1,
			  NULL, NULL, argc, argv) != 0) {
		log_error(w, "file=%s rrd_create_r2() failed: %s", full,
			  rrd_get_error());
		return -EIO;
	}
	return 0;
}

/* Fills <f> from the existing file <full>. Returns 0, -ENOENT or -EIO. */
static int
read_file(struct vg_ts_writer *w, const char *full, struct ts_file *f)
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
	if (rrd_lastupdate_r(full, &last, &ds_count, &names, &last_values) !=
	    0) {
		log_error(w, "file=%s rrd_lastupdate_r() failed: %s", full,
			  rrd_get_error());
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

/* Finds or sets up the file of <p>. Returns NULL when it cannot be used. */
static struct ts_file *
open_file(struct vg_ts_writer *w, char *full, const struct vg_ts_point *p)
{
	struct ts_file *f;
	unsigned int i;
	int rc;

	if (files_grow(w) != 0)
		return NULL;
	f = file_slot(w->files, w->file_slots, p->path);
	if (f->path != NULL)
		return f->failed ? NULL : f;
	memset(f, 0, sizeof(*f));
	f->path = strdup(p->path);
	if (f->path == NULL)
		return NULL;
	w->file_count++;
	rc = read_file(w, full, f);
	if (rc == -ENOENT) {
		rc = create_file(w, full, p);
		count(rc == 0 ? &w->files_created : &w->create_errors);
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
	/*
	 * NOTE: a file that fails stays failed until vigild restarts, so a
	 * full disk costs one error per file, not one per point.
	 */
	f->failed = rc != 0;
	return f->failed ? NULL : f;
}

static void
format_value(char *out, size_t len, double v, uint8_t type)
{
	if (isnan(v))
		snprintf(out, len, ":U");
	else if (type == VG_TS_DERIVE)
		snprintf(out, len, ":%.0f", v); /* rrdtool takes integers only */
	else
		snprintf(out, len, ":%.17g", v);
}

/* Formats "TIME:v1:v2..." in the file's data-source order. */
static void
format_update(struct vg_ts_writer *w, const struct ts_file *f,
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
			count(&w->ds_unknown);
			log_error(w, "file=%s has no data source %s; value dropped",
				  p->path, p->ds[j].name);
		}
	}
}

static void
write_point(struct vg_ts_writer *w, const struct vg_ts_point *p)
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
		count(&w->update_errors);
		return;
	}
	if (p->time <= f->last) {
		count(&w->skipped_old);
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
	if (w->cached)
		rc = rrdc_update(full, argc, argv);
	else
		rc = rrd_update_r(full, NULL, argc, argv);
	if (rc != 0) {
		count(&w->update_errors);
		log_error(w, "file=%s time=%" PRIu64 " update failed: %s",
			  full, p->time, rrd_get_error());
		return;
	}
	f->last = p->time;
	count(&w->updates);
}

/* ---- the thread ---- */

static struct vg_ts_point *
dequeue(struct vg_ts_writer *w)
{
	uint64_t tail = atomic_load_explicit(&w->tail, memory_order_relaxed);
	struct vg_ts_point *p;

	if (tail == atomic_load(&w->head))
		return NULL;
	p = w->ring[tail & w->ring_mask];
	atomic_store(&w->tail, tail + 1);
	return p;
}

static void *
writer_main(void *arg)
{
	struct vg_ts_writer *w = arg;

	for (;;) {
		struct vg_ts_point *p = dequeue(w);
		uint64_t value;

		if (p != NULL) {
			write_point(w, p);
			vg_ts_point_free(p);
			atomic_fetch_add(&w->done, 1);
			continue;
		}
		if (atomic_load(&w->stopping))
			break;
		atomic_store(&w->sleeping, 1);
		if (atomic_load(&w->head) == atomic_load(&w->tail) &&
		    !atomic_load(&w->stopping)) {
			if (read(w->wake_fd, &value, sizeof(value)) < 0 &&
			    errno != EINTR)
				usleep(1000);
		}
		atomic_store(&w->sleeping, 0);
	}
	/*
	 * NOTE: librrd 1.7 exports no flush-all for clients, and flushing
	 * each file would rewrite them all at once; rrdcached writes them on
	 * its own timer, and readers (ts_fetch.c) flush a file before reading.
	 */
	return NULL;
}

static void
wake(struct vg_ts_writer *w)
{
	uint64_t one = 1;

	if (write(w->wake_fd, &one, sizeof(one)) < 0)
		VG_DEBUG("timeseries", "eventfd write() failed: %s",
			 strerror(errno));
}

int
vg_ts_writer_put(struct vg_ts_writer *w, struct vg_ts_point *point)
{
	uint64_t head = atomic_load_explicit(&w->head, memory_order_relaxed);
	uint64_t waiting = head - atomic_load(&w->tail);

	if (waiting >= w->capacity) {
		count(&w->points_dropped);
		vg_ts_point_free(point);
		return -ENOBUFS;
	}
	w->ring[head & w->ring_mask] = point;
	atomic_store(&w->head, head + 1);
	count(&w->points_queued);
	if (waiting + 1 > atomic_load_explicit(&w->high_water,
					       memory_order_relaxed))
		atomic_store_explicit(&w->high_water, waiting + 1,
				      memory_order_relaxed);
	if (atomic_load(&w->sleeping))
		wake(w);
	return 0;
}

void
vg_ts_writer_sync(struct vg_ts_writer *w)
{
	uint64_t target = atomic_load(&w->head);

	while (atomic_load(&w->done) < target) {
		wake(w);
		usleep(1000);
	}
}

static int
make_directory(const char *dir, char *err, size_t err_len)
{
	char path[VG_PATH_MAX + 2];
	int rc;

	snprintf(path, sizeof(path), "%s/", dir);
	rc = make_parents(path);
	if (rc != 0)
		snprintf(err, err_len, "timeseries.directory %s: mkdir() failed: %s",
			 dir, strerror(-rc));
	return rc;
}

uint64_t
vg_ts_queue_size(const struct vg_config *cfg)
{
	uint64_t size;

	if (cfg->ts_queue_size != 0)
		return cfg->ts_queue_size;
	/*
	 * Four minutes of points at the host cap (two series a host): room
	 * for the minutes it takes to create that many files the first time.
	 */
	size = 8 * (uint64_t)cfg->ts_host_series_max;
	if (size < VG_TS_QUEUE_MIN)
		size = VG_TS_QUEUE_MIN;
	return size < VG_TS_QUEUE_MAX ? size : VG_TS_QUEUE_MAX;
}

struct vg_ts_writer *
vg_ts_writer_start(const struct vg_config *cfg, char *err, size_t err_len)
{
	struct vg_ts_writer *w = calloc(1, sizeof(*w));
	uint64_t slots = 1;
	int rc;

	if (w == NULL) {
		snprintf(err, err_len, "timeseries: out of memory");
		return NULL;
	}
	w->wake_fd = -1;
	snprintf(w->dir, sizeof(w->dir), "%s", cfg->ts_directory);
	snprintf(w->daemon, sizeof(w->daemon), "%s", cfg->ts_rrdcached);
	memcpy(w->archives, cfg->ts_archives, sizeof(w->archives));
	w->archive_count = cfg->ts_archive_count;
	w->capacity = vg_ts_queue_size(cfg);
	while (slots < w->capacity)
		slots <<= 1;
	w->ring_mask = slots - 1;
	w->ring = calloc(slots, sizeof(*w->ring));
	if (w->ring == NULL || files_grow(w) != 0) {
		snprintf(err, err_len, "timeseries: out of memory for a queue of %" PRIu64 " points",
			 w->capacity);
		goto fail;
	}
	if (make_directory(w->dir, err, err_len) != 0)
		goto fail;
	if (w->daemon[0] != '\0') {
		rrd_clear_error();
		w->cached = true;
		if (rrdc_connect(w->daemon) != 0) {
			snprintf(err, err_len, "timeseries.rrdcached %s: connect failed: %s",
				 w->daemon, rrd_get_error());
			goto fail;
		}
	}
	w->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (w->wake_fd < 0) {
		snprintf(err, err_len, "timeseries: eventfd() failed: %s",
			 strerror(errno));
		goto fail;
	}
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc != 0) {
		snprintf(err, err_len, "timeseries: pthread_create() failed: %s",
			 strerror(rc));
		goto fail;
	}
	pthread_setname_np(w->thread, "vg-ts-writer");
	VG_INFO("timeseries", "writer started directory=%s rrdcached=%s queue_size=%" PRIu64,
		w->dir, w->daemon[0] ? w->daemon : "none", w->capacity);
	return w;
fail:
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	if (w->cached)
		rrdc_disconnect();
	files_free(w);
	free(w->ring);
	free(w);
	return NULL;
}

void
vg_ts_writer_get_stats(const struct vg_ts_writer *w,
		       struct vg_ts_writer_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->points_queued = atomic_load(&w->points_queued);
	s->points_dropped = atomic_load(&w->points_dropped);
	s->queue_high_water = atomic_load(&w->high_water);
	s->queue_size = w->capacity;
	s->updates = atomic_load(&w->updates);
	s->update_errors = atomic_load(&w->update_errors);
	s->skipped_old = atomic_load(&w->skipped_old);
	s->files_created = atomic_load(&w->files_created);
	s->create_errors = atomic_load(&w->create_errors);
	s->ds_unknown = atomic_load(&w->ds_unknown);
}

void
vg_ts_writer_stop(struct vg_ts_writer *w)
{
	struct vg_ts_writer_stats s;
	uint64_t waiting;

	if (w == NULL)
		return;
	waiting = atomic_load(&w->head) - atomic_load(&w->tail);
	if (waiting > 0)
		VG_INFO("timeseries", "writing points=%" PRIu64 " still queued before exit",
			waiting);
	atomic_store(&w->stopping, 1);
	wake(w);
	pthread_join(w->thread, NULL);
	vg_ts_writer_get_stats(w, &s);
	VG_INFO("timeseries", "writer stopped points=%" PRIu64 " updates=%" PRIu64
		" dropped=%" PRIu64 " queue_high_water=%" PRIu64
		" queue_size=%" PRIu64 " skipped_old=%" PRIu64
		" update_errors=%" PRIu64 " files_created=%" PRIu64
		" create_errors=%" PRIu64 " ds_unknown=%" PRIu64,
		s.points_queued, s.updates, s.points_dropped,
		s.queue_high_water, s.queue_size, s.skipped_old,
		s.update_errors, s.files_created, s.create_errors,
		s.ds_unknown);
	close(w->wake_fd);
	if (w->cached)
		rrdc_disconnect();
	files_free(w);
	free(w->ring);
	free(w);
}
