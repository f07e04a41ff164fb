/*
 * The files vigild writes records to: the flow output,
 * plugins.alerts_output and a --stats FIFO. They are opened before
 * the lcores start, waiting for a reader on each FIFO. The flow output
 * and plugins.alerts_output are reopened by path for a log rotation
 * (SIGUSR1 or the control socket's reopen). The control thread writes
 * the engine lcores' record buffers to the flow output here. The calls
 * on a single file that this builds on are in output_file.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_ring.h>
#include <uv.h>

#include "common/log.h"
#include "lcore.h"
#include "output_file.h"
#include "sandbox_sup.h"
#include "vigild_internal.h"

/*
 * Appends a buffer of whole records to the flow output. When a write fails
 * (a full disk, say), the records that fit stay in the file, which stays
 * valid JSON Lines, and the others are counted as dropped.
 */
static void
write_buffer(struct vigild *d, const struct vg_record_buf *buf)
{
	uint64_t lost;
	int err;

	if (d->out_fd < 0)
		return;
	lost = vg_output_write_records(d->out_fd, buf->data, buf->used, &err);
	if (err != 0 && d->write_errors++ == 0)
		VG_ERR("engine", "flows.output file=%s write() failed: %s; records that do not fit are dropped and counted",
		       d->cfg.flow_output, strerror(err));
	if (err != 0 && d->records_error == 0)
		d->records_error = err;
	d->records_lost += lost;
}

void
vg_vigild_drain_records(struct vigild *d)
{
	unsigned int e;
	void *ptr;

	for (e = 0; e < d->engine_count; e++) {
		struct vg_engine_lcore *lcore = &d->engines[e];

		while (rte_ring_dequeue(lcore->full, &ptr) == 0) {
			struct vg_record_buf *buf = ptr;

			write_buffer(d, buf);
			buf->used = 0;
			rte_ring_enqueue(lcore->empty, buf);
		}
	}
}

/*
 * Puts the file at <path> in place of the regular file open at <*fd>.
 * Returns 1 when it did, 0 when <*fd> is kept (a FIFO, a device, or a
 * failed open(2), already logged).
 */
static int
reopen_fd(int *fd, const char *path, const char *key, mode_t mode)
{
	int new_fd = vg_output_reopen(path, key, *fd, mode);

	if (new_fd < 0)
		return 0;
	close(*fd);
	*fd = new_fd;
	return 1;
}

/* Moves plugins.alerts_output to a new stream once the old one is flushed. */
static int
reopen_alerts(struct vigild *d)
{
	FILE *old = d->sandboxes.alerts;
	FILE *stream;
	int fd;

	fflush(old);
	fd = vg_output_reopen(d->cfg.alerts_output, "plugins.alerts_output",
			      fileno(old), 0666);
	if (fd < 0)
		return 0;
	stream = fdopen(fd, "w");
	if (stream == NULL) {
		VG_ERR("engine", "plugins.alerts_output file=%s fdopen() failed: %s; alerts go on to the file already open",
		       d->cfg.alerts_output, strerror(errno));
		close(fd);
		return 0;
	}
	fclose(old);
	d->sandboxes.alerts = stream;
	return 1;
}

/*
 * Reopens the record files by path, for a rotation that moved them away
 * (SIGUSR1 and the control socket's reopen). The records already handed
 * over by the engines are written to the old file first, so none is lost.
 * Returns how many files were reopened.
 */
int
vg_vigild_reopen_outputs(struct vigild *d)
{
	int reopened = 0;

	vg_vigild_drain_records(d);
	if (d->out_fd >= 0)
		reopened += reopen_fd(&d->out_fd, d->cfg.flow_output,
				      "flows.output", 0644);
	if (d->sandboxes.alerts != NULL)
		reopened += reopen_alerts(d);
	if (d->stats_path != NULL && d->stats_fd < 0)
		VG_INFO("engine", "--stats file=%s is opened by path at exit: nothing to reopen",
			d->stats_path);
	VG_INFO("engine", "reopen done files=%d", reopened);
	return reopened;
}

/*
 * Runs the control loop's pending callbacks, signals among them, and
 * returns true when a signal asked vigild to stop.
 */
static bool
output_wait_stopping(void *ctx)
{
	struct vigild *d = ctx;

	uv_run(&d->loop, UV_RUN_NOWAIT);
	return atomic_load(&d->capture.stop);
}

static void
log_no_reader(const struct vg_output *outputs, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (outputs[i].no_reader)
			VG_ERR("engine", "stopped before a reader opened FIFO %s (%s): no packet was read and no record written, because vigild starts reading only once every FIFO output has a reader",
			       outputs[i].path, outputs[i].key);
	}
}

/*
 * Opens the flow output, plugins.alerts_output and a --stats FIFO before
 * the lcores start. A FIFO without a reader makes vigild wait here, with
 * signals handled, so a reader that opens it later gets every record.
 * A regular --stats file is opened only at exit, as before. Returns
 * -ECANCELED when a signal came before every FIFO had a reader.
 */
int
vg_vigild_open_output(struct vigild *d)
{
	struct vg_output outputs[3];
	struct vg_output *flows = NULL, *alerts = NULL, *stats = NULL;
	unsigned int count = 0;
	struct stat st;
	int rc;

	if (d->cfg.flow_output[0] == '\0') {
		VG_WARN("engine", "no flow output configured: flow records are not written anywhere");
	} else {
		flows = &outputs[count++];
		*flows = (struct vg_output){
			.path = d->cfg.flow_output, .key = "flows.output",
			.flags = O_CREAT | O_CLOEXEC, .mode = 0644,
		};
	}
	if (d->plugins && d->cfg.alerts_output[0] != '\0') {
		alerts = &outputs[count++];
		*alerts = (struct vg_output){
			.path = d->cfg.alerts_output,
			.key = "plugins.alerts_output",
			.flags = O_CREAT | O_CLOEXEC, .mode = 0666,
		};
	}
	if (d->stats_path != NULL && stat(d->stats_path, &st) == 0 &&
	    S_ISFIFO(st.st_mode)) {
		stats = &outputs[count++];
		*stats = (struct vg_output){
			.path = d->stats_path, .key = "--stats",
			.flags = O_CLOEXEC,
		};
	}

	d->waiting_for_reader = true;
	rc = vg_outputs_open(outputs, count, output_wait_stopping, d);
	d->waiting_for_reader = false;
	if (rc == -ECANCELED)
		log_no_reader(outputs, count);
	if (rc != 0)
		return rc;

	if (flows != NULL)
		d->out_fd = flows->fd;
	if (stats != NULL)
		d->stats_fd = stats->fd;
	if (alerts != NULL) {
		d->sandboxes.alerts = fdopen(alerts->fd, "w");
		if (d->sandboxes.alerts == NULL) {
			VG_ERR("engine", "plugins.alerts_output file=%s fdopen() failed: %s",
			       alerts->path, strerror(errno));
			close(alerts->fd);
			return -ENOMEM;
		}
	}
	return 0;
}
