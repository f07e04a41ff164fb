/*
 * Opening the files vigild writes records to, FIFOs included.
 *
 * open(2) of a FIFO for writing blocks until a reader opens it, and the
 * kernel restarts that open after a signal handler installed with
 * SA_RESTART (libuv's are). vg_output_open() therefore opens a FIFO with
 * O_NONBLOCK and retries while it has no reader, asking its caller
 * between tries whether vigild is stopping.
 */
#ifndef VG_OUTPUT_FILE_H
#define VG_OUTPUT_FILE_H

#include <stdbool.h>
#include <sys/types.h>

/* Time between two tries to open a FIFO that has no reader. */
#define VG_OUTPUT_FIFO_RETRY_MS 100

/*
 * Returns true when vigild is stopping and must give up waiting for a
 * reader. Called between tries, so it may run an event loop for a moment.
 */
typedef bool (*vg_output_stopping_fn)(void *ctx);

/*
 * Opens <path> for writing with <flags> (O_WRONLY is added) and <mode> for
 * a file it creates. <key> names the path in log lines. When <path> is a
 * FIFO without a reader, logs once that vigild waits for one and tries
 * again every VG_OUTPUT_FIFO_RETRY_MS until a reader opens it or
 * <stopping> returns true. The descriptor returned for a FIFO is in
 * blocking mode, so later writes wait for the reader instead of failing.
 *
 * Returns the descriptor, or a negative errno: -ECANCELED when <stopping>
 * returned true first, or the error of open(2), already logged.
 */
int vg_output_open(const char *path, int flags, mode_t mode, const char *key,
		   vg_output_stopping_fn stopping, void *ctx);

#endif
