/*
 * Opening the files vigild writes records to (see output_file.h).
 *
 * A FIFO is opened with O_NONBLOCK, which fails with ENXIO while no
 * process has it open for reading instead of blocking in the kernel.
 * Once it is open, O_NONBLOCK is cleared again: a reader slower than
 * vigild then makes write(2) wait rather than fail with EAGAIN, so a
 * capture file loses no record to a slow reader.
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
clear_nonblock(int fd, const char *path, const char *key)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int err = errno;

		VG_ERR("engine", "%s file=%s fcntl(F_SETFL) failed: %s",
		       key, path, strerror(err));
		close(fd);
		return -err;
	}
	return fd;
}

static int
open_fifo(const char *path, int flags, const char *key,
	  vg_output_stopping_fn stopping, void *ctx)
{
	bool logged = false;
	int fd;

	/* O_CREAT and O_TRUNC have no effect on an existing FIFO. */
	flags = (flags & ~(O_CREAT | O_TRUNC)) | O_WRONLY | O_NONBLOCK;
	for (;;) {
		fd = open(path, flags);
		if (fd >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != ENXIO) {
			int err = errno;

			VG_ERR("engine", "%s file=%s open() failed: %s",
			       key, path, strerror(err));
			return -err;
		}
		if (!logged) {
			VG_INFO("engine", "waiting for a reader on FIFO %s (%s)",
				path, key);
			logged = true;
		}
		if (stopping != NULL && stopping(ctx))
			return -ECANCELED;
		sleep_ms(VG_OUTPUT_FIFO_RETRY_MS);
		if (stopping != NULL && stopping(ctx))
			return -ECANCELED;
	}
	if (logged)
		VG_INFO("engine", "a reader opened FIFO %s (%s)", path, key);
	return clear_nonblock(fd, path, key);
}

int
vg_output_open(const char *path, int flags, mode_t mode, const char *key,
	       vg_output_stopping_fn stopping, void *ctx)
{
	int fd;

	if (path_is_fifo(path))
		return open_fifo(path, flags, key, stopping, ctx);
	fd = open(path, flags | O_WRONLY, mode);
	if (fd < 0) {
		int err = errno;

		VG_ERR("engine", "%s file=%s open() failed: %s", key, path,
		       strerror(err));
		return -err;
	}
	return fd;
}
