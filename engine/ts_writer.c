/*
 * The timeseries writer's vigild side; see ts_writer.h and ts_wire.h.
 *
 * The queue is a ring of point pointers with one producer (the control
 * thread) and one consumer, the forwarding thread, which sends each point
 * to the vigil-ts-writer process and frees it. The thread sleeps on an
 * eventfd when the ring is empty. The producer writes to the eventfd only
 * when the thread has announced that it sleeps, so a busy writer costs the
 * producer no system call. Both sides use sequentially consistent atomics
 * for the "sleeping" flag and the ring positions. The consumer sets the
 * flag and then reads the ring. The producer fills the ring and then
 * reads the flag. So at least one of them notices the other.
 *
 * The socket's buffer has room for few points. When the process is busy
 * with the disk, the thread waits in send(), and the queue takes the
 * points meanwhile. When the process dies, the thread logs how, counts the
 * points it had not finished as lost, and starts it again after a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "ts_wire.h"

#define PROGRAM "vigil-ts-writer"
#define SETUP_TIMEOUT_MS 10000 /* for the process's reply to its configuration */
#define RESTART_DELAY_US 1000000

extern char **environ;

struct vg_ts_writer {
	/* producer side */
	struct vg_ts_point **ring;
	uint64_t ring_mask;
	uint64_t capacity;           /* points waiting at most */
	_Atomic uint64_t head;       /* next slot the producer fills */
	_Atomic uint64_t tail;       /* next slot the consumer empties */
	_Atomic int sleeping;
	_Atomic int stopping;
	int wake_fd;
	pthread_t thread;

	/* the process */
	struct vg_ts_wire_config cfg;
	char program[PATH_MAX];
	int stats_fd;
	struct vg_ts_wire_stats *stats; /* shared with the process */
	int sock;                    /* vigild's end, -1 when none */
	pid_t pid;                   /* 0 when none */
	uint64_t sent;               /* points handed to this process */
	uint64_t done_before;        /* stats->done when it started */

	/* counters, written by one side, read by both */
	_Atomic uint64_t points_queued;
	_Atomic uint64_t points_dropped;
	_Atomic uint64_t high_water;
	_Atomic uint64_t points_lost;
	_Atomic uint64_t restarts;
};

static char program_override[PATH_MAX];

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

/*
 * Returns the offset of the values in a point whose path is <path_len>
 * bytes long. The values come first after the header and path, so they
 * stay 8-byte aligned; the data sources follow them.
 */
static size_t
point_head(size_t path_len)
{
	return (sizeof(struct vg_ts_point) + path_len + 1 + 7) & ~(size_t)7;
}

/* Returns the size of a point's allocation. */
static size_t
point_size(size_t path_len, unsigned int n)
{
	return point_head(path_len) +
	       n * (sizeof(double) + sizeof(struct vg_ts_ds));
}

/* Points <point>'s values and data sources into its allocation. */
static void
point_link(struct vg_ts_point *point, size_t path_len)
{
	point->values = (double *)((char *)point + point_head(path_len));
	point->ds = (struct vg_ts_ds *)(point->values + point->n);
}

struct vg_ts_point *
vg_ts_point_new(const char *path, unsigned int n)
{
	size_t path_len = strlen(path);
	struct vg_ts_point *point;
	unsigned int i;

	if (n == 0 || n > VG_TS_DS_MAX || path_len >= VG_TS_PATH_MAX ||
	    !path_is_safe(path))
		return NULL;
	point = calloc(1, point_size(path_len, n));
	if (point == NULL)
		return NULL;
	memcpy(point->path, path, path_len + 1);
	point->n = (uint16_t)n;
	point_link(point, path_len);
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

uint64_t
vg_ts_hash_name(const char *name)
{
	uint64_t hash = 14695981039346656037ull;

	for (; *name != '\0'; name++)
		hash = (hash ^ (unsigned char)*name) * 1099511628211ull;
	return hash;
}

size_t
vg_ts_wire_point_size(const struct vg_ts_point *point)
{
	return point_size(strlen(point->path), point->n);
}

struct vg_ts_point *
vg_ts_wire_point_open(void *buf, size_t len)
{
	struct vg_ts_point *point = buf;
	size_t path_len;
	unsigned int i;

	if (len < sizeof(*point) + 1)
		return NULL;
	path_len = strnlen(point->path, len - sizeof(*point));
	if (path_len == len - sizeof(*point) || path_len >= VG_TS_PATH_MAX ||
	    point->n == 0 || point->n > VG_TS_DS_MAX ||
	    !path_is_safe(point->path))
		return NULL;
	if (len != point_size(path_len, point->n))
		return NULL;
	point_link(point, path_len);
	for (i = 0; i < point->n; i++) {
		if (memchr(point->ds[i].name, '\0', VG_TS_DS_NAME_LEN) == NULL ||
		    point->ds[i].type > VG_TS_DERIVE)
			return NULL;
	}
	return point;
}

/* ---- the process ---- */

void
vg_ts_writer_set_program(const char *path)
{
	snprintf(program_override, sizeof(program_override), "%s",
		 path != NULL ? path : "");
}

int
vg_ts_writer_find_program(char *path, size_t path_len, char *err,
			  size_t err_len)
{
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (program_override[0] != '\0') {
		snprintf(path, path_len, "%s", program_override);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - sizeof(PROGRAM) - 1);
	if (n <= 0) {
		snprintf(err, err_len, "readlink(/proc/self/exe) failed: %s",
			 strerror(errno));
		return -1;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash != NULL)
		*slash = '\0';
	if ((size_t)snprintf(path, path_len, "%s/" PROGRAM, self) >= path_len) {
		snprintf(err, err_len, "writer program path %s/" PROGRAM " is too long",
			 self);
		return -1;
	}
	if (access(path, X_OK) != 0) {
		snprintf(err, err_len, "writer program %s: %s; install " PROGRAM " in the folder of vigild",
			 path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Moves <fd> to at least 10, so that it is never the target of a dup2. */
static int
high_fd(int fd)
{
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, 10);

	close(fd);
	return moved;
}

static void
reap(struct vg_ts_writer *w, bool wait_for_it, const char *why)
{
	int status = 0;
	pid_t got;

	if (w->sock >= 0) {
		close(w->sock);
		w->sock = -1;
	}
	if (w->pid <= 0)
		return;
	do
		got = waitpid(w->pid, &status, wait_for_it ? 0 : WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got == w->pid && why != NULL) {
		if (WIFSIGNALED(status))
			VG_ERR("timeseries", "writer pid=%d %s: killed by signal %d",
			       (int)w->pid, why, WTERMSIG(status));
		else if (WEXITSTATUS(status) != 0)
			VG_ERR("timeseries", "writer pid=%d %s: exit status %d",
			       (int)w->pid, why, WEXITSTATUS(status));
	} else if (got != w->pid && why != NULL) {
		VG_ERR("timeseries", "writer pid=%d %s", (int)w->pid, why);
	}
	w->pid = 0;
}

/*
 * Starts the process and waits for its reply to the configuration.
 * Returns 0, or -1 with a message in <err>.
 */
static int
spawn(struct vg_ts_writer *w, char *err, size_t err_len)
{
	char *args[] = { w->program, NULL };
	char answer[VG_TS_WIRE_REPLY_MAX];
	posix_spawn_file_actions_t actions;
	struct pollfd pfd;
	posix_spawnattr_t attr;
	sigset_t signals;
	int pair[2];
	ssize_t n;
	int rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
		snprintf(err, err_len, "timeseries: socketpair() failed: %s",
			 strerror(errno));
		return -1;
	}
	pair[0] = high_fd(pair[0]);
	pair[1] = high_fd(pair[1]);
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY,
					 0);
	posix_spawn_file_actions_adddup2(&actions, pair[1],
					 VG_TS_WIRE_SOCKET_FD);
	posix_spawn_file_actions_adddup2(&actions, w->stats_fd,
					 VG_TS_WIRE_STATS_FD);
	posix_spawnattr_init(&attr);
	sigemptyset(&signals);
	posix_spawnattr_setsigmask(&attr, &signals);
	sigfillset(&signals);
	posix_spawnattr_setsigdefault(&attr, &signals);
	/* A session of its own keeps the terminal's Ctrl-C away from it. */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
					POSIX_SPAWN_SETSIGMASK |
					POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&w->pid, w->program, &actions, &attr, args, environ);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	close(pair[1]);
	if (pair[0] < 0 || rc != 0) {
		snprintf(err, err_len, "timeseries: cannot start %s: %s",
			 w->program, strerror(rc != 0 ? rc : errno));
		if (pair[0] >= 0)
			close(pair[0]);
		w->pid = 0;
		return -1;
	}
	w->sock = pair[0];
	w->sent = 0;
	w->done_before = atomic_load(&w->stats->done);
	if (send(w->sock, &w->cfg, sizeof(w->cfg), MSG_NOSIGNAL) < 0) {
		snprintf(err, err_len, "timeseries: %s: send() failed: %s",
			 w->program, strerror(errno));
		reap(w, true, NULL);
		return -1;
	}
	pfd = (struct pollfd){ .fd = w->sock, .events = POLLIN };
	do
		rc = poll(&pfd, 1, SETUP_TIMEOUT_MS);
	while (rc < 0 && errno == EINTR);
	n = rc > 0 ? recv(w->sock, answer, sizeof(answer) - 1, 0) : -1;
	if (n == 1 && answer[0] == '\0')
		return 0;
	if (n > 1) {
		answer[n] = '\0';
		snprintf(err, err_len, "%s", answer + 1);
	} else {
		snprintf(err, err_len, "timeseries: %s did not reply to its configuration%s",
			 w->program, rc == 0 ? " within 10 s" : "");
	}
	if (w->pid > 0 && rc == 0)
		kill(w->pid, SIGKILL);
	reap(w, true, NULL);
	return -1;
}

/*
 * After the process died: counts what it had not finished as lost, so
 * that a sync does not wait for it, and starts it again.
 */
static void
restart(struct vg_ts_writer *w)
{
	uint64_t done = atomic_load(&w->stats->done) - w->done_before;
	char err[VG_TS_WIRE_REPLY_MAX];

	reap(w, true, "stopped");
	if (w->sent > done) {
		atomic_fetch_add(&w->points_lost, w->sent - done);
		atomic_fetch_add(&w->stats->done, w->sent - done);
		VG_ERR("timeseries", "writer lost points=%" PRIu64,
		       w->sent - done);
	}
	for (;;) {
		usleep(RESTART_DELAY_US);
		if (spawn(w, err, sizeof(err)) == 0) {
			count(&w->restarts);
			VG_INFO("timeseries", "writer restarted pid=%d",
				(int)w->pid);
			return;
		}
		VG_ERR("timeseries", "%s", err);
		if (atomic_load(&w->stopping))
			return;
	}
}

/* Sends <p> to the process; a dead process is started again. */
static void
forward(struct vg_ts_writer *w, const struct vg_ts_point *p)
{
	size_t size = vg_ts_wire_point_size(p);

	if (w->sock < 0) {
		/* the process could not be started again: the point is lost */
		atomic_fetch_add(&w->points_lost, 1);
		atomic_fetch_add(&w->stats->done, 1);
		return;
	}
	while (send(w->sock, p, size, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		restart(w);
		if (w->sock < 0) {
			atomic_fetch_add(&w->points_lost, 1);
			atomic_fetch_add(&w->stats->done, 1);
			return;
		}
	}
	w->sent++;
}

/* ---- the forwarding thread ---- */

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
			forward(w, p);
			vg_ts_point_free(p);
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

	while (atomic_load(&w->stats->done) < target) {
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
	rc = vg_ts_make_parents(path);
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
	w->stats_fd = -1;
	w->sock = -1;
	w->stats = MAP_FAILED;
	snprintf(w->cfg.dir, sizeof(w->cfg.dir), "%s", cfg->ts_directory);
	snprintf(w->cfg.daemon, sizeof(w->cfg.daemon), "%s",
		 cfg->ts_rrdcached);
	memcpy(w->cfg.archives, cfg->ts_archives, sizeof(w->cfg.archives));
	w->cfg.archive_count = cfg->ts_archive_count;
	w->capacity = vg_ts_queue_size(cfg);
	while (slots < w->capacity)
		slots <<= 1;
	w->ring_mask = slots - 1;
	w->ring = calloc(slots, sizeof(*w->ring));
	if (w->ring == NULL) {
		snprintf(err, err_len, "timeseries: out of memory for a queue of %" PRIu64 " points",
			 w->capacity);
		goto fail;
	}
	if (make_directory(w->cfg.dir, err, err_len) != 0 ||
	    vg_ts_writer_find_program(w->program, sizeof(w->program), err,
				      err_len) != 0)
		goto fail;
	w->stats_fd = memfd_create("vigil-ts-stats", MFD_CLOEXEC);
	if (w->stats_fd >= 0)
		w->stats_fd = high_fd(w->stats_fd);
	if (w->stats_fd < 0 ||
	    ftruncate(w->stats_fd, sizeof(*w->stats)) != 0 ||
	    (w->stats = mmap(NULL, sizeof(*w->stats), PROT_READ | PROT_WRITE,
			     MAP_SHARED, w->stats_fd, 0)) == MAP_FAILED) {
		snprintf(err, err_len, "timeseries: shared counters: %s",
			 strerror(errno));
		goto fail;
	}
	w->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (w->wake_fd < 0) {
		snprintf(err, err_len, "timeseries: eventfd() failed: %s",
			 strerror(errno));
		goto fail;
	}
	if (spawn(w, err, err_len) != 0)
		goto fail;
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc != 0) {
		snprintf(err, err_len, "timeseries: pthread_create() failed: %s",
			 strerror(rc));
		goto fail;
	}
	pthread_setname_np(w->thread, "vg-ts-forward");
	VG_INFO("timeseries", "writer started pid=%d directory=%s rrdcached=%s queue_size=%" PRIu64,
		(int)w->pid, w->cfg.dir,
		w->cfg.daemon[0] ? w->cfg.daemon : "none", w->capacity);
	return w;
fail:
	reap(w, true, NULL);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	if (w->stats != MAP_FAILED)
		munmap(w->stats, sizeof(*w->stats));
	if (w->stats_fd >= 0)
		close(w->stats_fd);
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
	s->points_lost = atomic_load(&w->points_lost);
	s->restarts = atomic_load(&w->restarts);
	s->updates = atomic_load(&w->stats->updates);
	s->update_errors = atomic_load(&w->stats->update_errors);
	s->skipped_old = atomic_load(&w->stats->skipped_old);
	s->files_created = atomic_load(&w->stats->files_created);
	s->create_errors = atomic_load(&w->stats->create_errors);
	s->files_failed = atomic_load(&w->stats->files_failed);
	s->ds_unknown = atomic_load(&w->stats->ds_unknown);
}

uint64_t
vg_ts_writer_stop(struct vg_ts_writer *w)
{
	struct vg_ts_writer_stats s;
	uint64_t waiting;
	uint64_t lost;

	if (w == NULL)
		return 0;
	waiting = atomic_load(&w->head) - atomic_load(&w->tail);
	if (waiting > 0)
		VG_INFO("timeseries", "writing points=%" PRIu64 " still queued before exit",
			waiting);
	atomic_store(&w->stopping, 1);
	wake(w);
	pthread_join(w->thread, NULL);
	/* The process writes what it has received, reads end of file and exits. */
	if (w->sock >= 0)
		shutdown(w->sock, SHUT_WR);
	reap(w, true, "stopped");
	vg_ts_writer_get_stats(w, &s);
	VG_INFO("timeseries", "writer stopped points=%" PRIu64 " updates=%" PRIu64
		" dropped=%" PRIu64 " queue_high_water=%" PRIu64
		" queue_size=%" PRIu64 " skipped_old=%" PRIu64
		" update_errors=%" PRIu64 " files_created=%" PRIu64
		" create_errors=%" PRIu64 " files_failed=%" PRIu64
		" ds_unknown=%" PRIu64
		" lost=%" PRIu64 " restarts=%" PRIu64,
		s.points_queued, s.updates, s.points_dropped,
		s.queue_high_water, s.queue_size, s.skipped_old,
		s.update_errors, s.files_created, s.create_errors,
		s.files_failed, s.ds_unknown, s.points_lost, s.restarts);
	lost = s.update_errors + s.points_lost;
	if (s.files_failed > 0 || lost > 0) {
		w->stats->first_error[sizeof(w->stats->first_error) - 1] = '\0';
		VG_ERR("timeseries", "timeseries incomplete in directory=%s: files not usable=%" PRIu64 " points not written=%" PRIu64 " (update_errors=%" PRIu64 " lost=%" PRIu64 "); first error: %s",
		       w->cfg.dir, s.files_failed, lost, s.update_errors,
		       s.points_lost,
		       w->stats->first_error[0] ? w->stats->first_error :
						  "none logged by the writer");
	}
	close(w->wake_fd);
	munmap(w->stats, sizeof(*w->stats));
	close(w->stats_fd);
	free(w->ring);
	free(w);
	return lost;
}
