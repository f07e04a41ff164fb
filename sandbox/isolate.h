/*
 * Dropping everything a sandbox does not need once its plugins are
 * compiled: descriptors, privileges, resources and system calls.
 */
#ifndef VG_SANDBOX_ISOLATE_H
#define VG_SANDBOX_ISOLATE_H

#include <stdbool.h>
#include <sys/types.h>

struct vg_sbx_isolation {
	int shm_fd;
	int wake_fd;             /* the only descriptor read after seccomp */
	int notify_fd;           /* written, with stderr */
	unsigned int memory_mb;  /* address space allowed on top of what is
				  * mapped when isolation starts */
	bool switch_user;        /* running as root: become uid/gid */
	uid_t uid;
	gid_t gid;
	bool allow_exec;         /* a plugin runs with the JIT */
	pid_t parent;            /* exit if it is gone */
};

/*
 * Applies the limits that do not get in the way of loading plugins: no
 * core dumps, no file growth, no new processes. Returns 0 or -errno.
 */
int
vg_sbx_isolate_early(void);

/*
 * Resolves <user> for the switch when running as root. Returns 0,
 * -ENOENT for an unknown user, or -errno.
 */
int
vg_sbx_isolate_lookup_user(struct vg_sbx_isolation *iso, const char *user);

/*
 * Closes every descriptor but the shared memory, the two eventfds and
 * stderr; sets RLIMIT_AS, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_FSIZE and
 * RLIMIT_CORE; sets no_new_privs; switches user; asks for SIGKILL when
 * the parent dies; and loads the seccomp allow-list, whose default
 * action kills the process. Returns 0 or -errno naming nothing: the
 * failing step is logged.
 */
int
vg_sbx_isolate(const struct vg_sbx_isolation *iso);

#endif
