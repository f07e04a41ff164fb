/*
 * One levelled logger for every vigil program.
 *
 * Messages go to stderr as "TIME LEVEL tag: message", one line per call,
 * with the control characters of the message escaped (vg_log_escape). They are lowercase, carry
 * no final period and name the failed call and the object with key=value
 * context. DPDK's own log is routed here too (capture/eal.c), so an
 * operator reads one stream. Nothing on the packet path logs: the packet
 * path counts, and the control thread reports the counters.
 */
#ifndef VG_LOG_H
#define VG_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum vg_log_level {
	VG_LOG_ERR = 0,
	VG_LOG_WARN,
	VG_LOG_INFO,
	VG_LOG_DEBUG,
};

/* Messages above this level are discarded; VG_LOG_INFO by default. */
void
vg_log_set_level(enum vg_log_level level);

enum vg_log_level
vg_log_get_level(void);

void
vg_log(enum vg_log_level level, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void
vg_vlog(enum vg_log_level level, const char *tag, const char *fmt,
	va_list ap);

/*
 * Logs the <len> bytes of <text> as the message, NUL bytes included,
 * escaped as vg_log() escapes a message. For text that may contain a
 * NUL byte, such as what a plugin prints.
 */
void
vg_log_bytes(enum vg_log_level level, const char *tag, const char *text,
	     size_t len);

/*
 * Copies <len> bytes of <src> to <dst> (<cap> bytes, NUL-terminated) with
 * each control character, DEL and C1 control escaped as \n, \r, \t or
 * \xHH, each byte of invalid UTF-8 as \xHH and the backslash as \\, so
 * the copy contains no line break and no terminal escape sequence, and
 * the text "\x1b" reads differently from an ESC byte. Other valid UTF-8
 * is copied as it is. The copy stops before an escape or a character
 * that would not fit whole. Returns the bytes written, without the NUL.
 */
size_t
vg_log_escape(char *dst, size_t cap, const char *src, size_t len);

#define VG_ERR(tag, ...) vg_log(VG_LOG_ERR, tag, __VA_ARGS__)
#define VG_WARN(tag, ...) vg_log(VG_LOG_WARN, tag, __VA_ARGS__)
#define VG_INFO(tag, ...) vg_log(VG_LOG_INFO, tag, __VA_ARGS__)
#define VG_DEBUG(tag, ...) vg_log(VG_LOG_DEBUG, tag, __VA_ARGS__)

#endif
