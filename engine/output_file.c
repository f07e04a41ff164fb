/*
 * Opening the files vigild writes records to (see output_file.h).
 *
 * A FIFO is opened with O_NONBLOCK, which fails with ENXIO while no
 * process has it open for reading instead of blocking in the kernel.
 * Once it is open, O_NONBLOCK is cleared again: a reader slower than
 * vigild then makes write(2) wait rather than fail with EAGAIN, so a
 * capture file loses no record to a slow reader.
 *
 * A regular file is opened with O_APPEND and never truncated, so a
 * restart after a crash keeps the records of the runs before it. After a
 * copy and truncation (logrotate's copytruncate), the next write lands at
 * the new end of the file and leaves no hole of NUL bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "output_file.h"

static bool
path_is_fifo(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISFIFO(st.st_mode);
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	/* A signal ends the sleep early: the caller checks for a stop next. */
	nanosleep(&ts, NULL);
}

static int
open_regular(struct vg_output *out)
{
	int flags = (out->flags & ~O_TRUNC) | O_WRONLY | O_APPEND;

	out->fd = open(out->path, flags, out->mode);
	if (out->fd < 0) {
		int err = errno;

		VG_ERR("engine", "%s file=%s open() failed: %s", out->key,
		       out->path, strerror(err));
		return -err;
	}
	return 0;
}

/*
 * Tries once to open a FIFO. Returns 0 when it is open, -ENXIO when it
 * has no reader yet, or another negative errno, already logged.
 */
static int
try_open_fifo(struct vg_output *out)
{
	/* O_CREAT and O_TRUNC have no effect on an existing FIFO. */
	int flags = (out->flags & ~(O_CREAT | O_TRUNC)) | O_WRONLY |
		    O_NONBLOCK;
	int fd, fl;

	do
		fd = open(out->path, flags);
	while (fd < 0 && errno == EINTR);
	if (fd < 0 && errno == ENXIO)
		return -ENXIO;
	if (fd < 0) {
		int err = errno;

		VG_ERR("engine", "%s file=%s open() failed: %s", out->key,
		       out->path, strerror(err));
		return -err;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int err = errno;

		VG_ERR("engine", "%s file=%s fcntl(F_SETFL) failed: %s",
		       out->key, out->path, strerror(err));
		close(fd);
		return -err;
	}
	out->fd = fd;
	return 0;
}

static void
close_all(struct vg_output *outputs, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (outputs[i].fd >= 0)
			close(outputs[i].fd);
		outputs[i].fd = -1;
	}
}

/*
 * Tries each FIFO that is still closed once. Returns how many still have
 * no reader, or a negative errno.
 */
static int
open_fifos_round(struct vg_output *outputs, unsigned int count)
{
	unsigned int i;
	int waiting = 0;
	int rc;

	for (i = 0; i < count; i++) {
		if (!outputs[i].fifo || outputs[i].fd >= 0)
			continue;
		rc = try_open_fifo(&outputs[i]);
		outputs[i].no_reader = rc == -ENXIO;
		if (rc == 0 && outputs[i].wait_logged)
			VG_INFO("engine", "a reader opened FIFO %s (%s)",
				outputs[i].path, outputs[i].key);
		if (rc == 0)
			continue;
		if (rc != -ENXIO)
			return rc;
		if (!outputs[i].wait_logged)
			VG_INFO("engine", "waiting for a reader on FIFO %s (%s)",
				outputs[i].path, outputs[i].key);
		outputs[i].wait_logged = true;
		waiting++;
	}
	return waiting;
}

int
vg_outputs_open(struct vg_output *outputs, unsigned int count,
		vg_output_stopping_fn stopping, void *ctx)
{
	unsigned int i;
	int rc;

	for (i = 0; i < count; i++) {
		outputs[i].fd = -1;
		outputs[i].fifo = path_is_fifo(outputs[i].path);
		outputs[i].wait_logged = false;
		outputs[i].no_reader = false;
	}
	for (i = 0; i < count; i++) {
		if (outputs[i].fifo)
			continue;
		rc = open_regular(&outputs[i]);
		if (rc != 0)
			goto fail;
	}
	for (;;) {
		rc = open_fifos_round(outputs, count);
		if (rc <= 0)
			break;
		if (stopping != NULL && stopping(ctx)) {
			rc = -ECANCELED;
			break;
		}
		sleep_ms(VG_OUTPUT_FIFO_RETRY_MS);
		if (stopping != NULL && stopping(ctx)) {
			rc = -ECANCELED;
			break;
		}
	}
	if (rc == 0)
		return 0;
fail:
	close_all(outputs, count);
	return rc;
}

/* Counts the records (lines) in <len> bytes at <data>. */
static uint64_t
count_records(const char *data, size_t len)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += data[i] == '\n';
	return n;
}

/*
 * Removes the last <tail> bytes of the regular file at <fd>: the start of
 * a record that a failed write left behind. Other writers of the file
 * (O_APPEND) are not expected while vigild runs.
 */
static void
cut_tail(int fd, size_t tail)
{
	struct stat st;

	if (tail == 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)tail)
		return;
	if (ftruncate(fd, st.st_size - (off_t)tail) != 0)
		VG_WARN("engine", "ftruncate() of a partly written record failed: %s",
			strerror(errno));
}

uint64_t
vg_output_write_records(int fd, const char *data, size_t len, int *err)
{
	size_t done = 0;
	size_t whole;

	*err = 0;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = errno;
			break;
		}
		done += (size_t)n;
	}
	if (done == len)
		return 0;

	/* Keep the records written whole; drop the one cut short. */
	whole = done;
	while (whole > 0 && data[whole - 1] != '\n')
		whole--;
	cut_tail(fd, done - whole);
	return count_records(data + whole, len - whole);
}

int
vg_output_reopen(const char *path, const char *key, int fd, mode_t mode)
{
	struct stat st;
	int new_fd;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		VG_INFO("engine", "%s file=%s is not a regular file: kept open, not reopened",
			key, path);
		return -ESPIPE;
	}
	do
		new_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      mode);
	while (new_fd < 0 && errno == EINTR);
	if (new_fd < 0) {
		int err = errno;

		VG_ERR("engine", "%s file=%s open() to reopen failed: %s; records go on to the file already open",
		       key, path, strerror(err));
		return -err;
	}
	VG_INFO("engine", "reopened %s file=%s", key, path);
	return new_fd;
}
