/*
 * Isolation of a vigil-sandbox process.
 *
 * The order matters. Everything that needs a file (plugin sources, the
 * YAML, the user database, /proc/self/statm) is read before this runs.
 * Descriptors are closed first, while /proc is still reachable. Limits
 * come next, while the process is still root. Then the user switch: the
 * kernel resets the parent-death signal when the user changes, so that
 * signal is requested after it. The seccomp filter is last, because the
 * steps before it use system calls it forbids.
 *
 * The filter's default action is SCMP_ACT_KILL_PROCESS: a sandbox has no
 * legitimate use for any other call, and a process killed by SIGSYS is
 * plain to see for vigild's supervisor, where a call failing with EPERM
 * could leave LuaJIT in a state nobody looks at. The allow-list is what
 * the main loop, glibc's allocator and LuaJIT use after start-up, found
 * with strace over the hostile and example tests: read on the wake
 * eventfd, write on the notify eventfd and stderr, poll, the clocks,
 * memory mapping (anonymous only; executable only when a plugin runs
 * with the JIT, whose machine code needs it), futex, signal return and
 * exit, and what abort() needs to raise SIGABRT on this process.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/log.h"
#include "sandbox/isolate.h"
#include "sandbox/sandbox.h"

static int
set_limit(int resource, rlim_t value, const char *name)
{
	struct rlimit rl = { value, value };

	if (setrlimit(resource, &rl) != 0) {
		int err = errno;

		VG_ERR(VG_SBX_TAG, "setrlimit(%s, %llu) failed: %s", name,
		       (unsigned long long)value, strerror(err));
		return -err;
	}
	return 0;
}

/*
 * RLIMIT_FSIZE 0 would kill the process with SIGXFSZ at its first log
 * line when stderr is a regular file, so the limit is left alone then.
 * Little is lost: stderr is the only file the process can write to after
 * seccomp, and before it only vigil's C code can open files.
 */
static bool
stderr_is_file(void)
{
	struct stat st;

	return fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode);
}

int
vg_sbx_isolate_early(void)
{
	int rc;

	signal(SIGXFSZ, SIG_IGN);
	rc = set_limit(RLIMIT_CORE, 0, "RLIMIT_CORE");
	if (rc == 0 && !stderr_is_file())
		rc = set_limit(RLIMIT_FSIZE, 0, "RLIMIT_FSIZE");
	if (rc == 0)
		rc = set_limit(RLIMIT_NPROC, 0, "RLIMIT_NPROC");
	return rc;
}

int
vg_sbx_isolate_lookup_user(struct vg_sbx_isolation *iso, const char *user)
{
	struct passwd *pw;

	iso->switch_user = false;
	if (geteuid() != 0)
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL)
		return errno ? -errno : -ENOENT;
	if (pw->pw_uid == 0) {
		VG_ERR(VG_SBX_TAG, "user=%s has uid 0; choose an unprivileged "
		       "user with --user", user);
		return -EPERM;
	}
	iso->switch_user = true;
	iso->uid = pw->pw_uid;
	iso->gid = pw->pw_gid;
	return 0;
}

/* Returns the bytes of address space mapped now, or 0 when unknown. */
static size_t
mapped_bytes(void)
{
	unsigned long pages = 0;
	FILE *fp = fopen("/proc/self/statm", "re");

	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%lu", &pages) != 1)
		pages = 0;
	fclose(fp);
	return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

static int
compare_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Closes every descriptor except the sorted, distinct ones in <keep>. */
static int
close_others(const int *keep, size_t n)
{
	unsigned int from = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		unsigned int to = i < n ? (unsigned int)keep[i] : ~0u;

		if (to > from &&
		    syscall(SYS_close_range, from, to - 1, 0) != 0) {
			int err = errno;

			VG_ERR(VG_SBX_TAG, "close_range(%u, %u) failed: %s",
			       from, to - 1, strerror(err));
			return -err;
		}
		if (i < n)
			from = (unsigned int)keep[i] + 1;
	}
	return 0;
}

static int
drop_user(const struct vg_sbx_isolation *iso)
{
	if (!iso->switch_user)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(iso->gid) != 0 ||
	    setuid(iso->uid) != 0) {
		int err = errno;

		VG_ERR(VG_SBX_TAG, "switching to uid=%u gid=%u failed: %s",
		       (unsigned int)iso->uid, (unsigned int)iso->gid,
		       strerror(err));
		return -err;
	}
	if (setuid(0) == 0) {
		VG_ERR(VG_SBX_TAG, "setuid(0) succeeded after dropping root");
		return -EPERM;
	}
	return 0;
}

static int
allow(scmp_filter_ctx ctx, const char *name, unsigned int n,
      const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name);
	int rc;

	/* Calls this architecture does not have (poll on aarch64). */
	if (nr == __NR_SCMP_ERROR)
		return 0;
	rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, args);
	if (rc != 0)
		VG_ERR(VG_SBX_TAG, "seccomp_rule_add(%s) failed: %s", name,
		       strerror(-rc));
	return rc;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define VG_SBX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VG_SBX_SANITIZED 1
#endif
#endif

/*
 * Calls the AddressSanitizer and UBSan runtimes make on their own (an
 * alternate signal stack per thread, reading /proc/self/maps for a
 * report). Allowed only in -Dsanitize=true builds, which are for tests.
 */
#ifdef VG_SBX_SANITIZED
static const char *const sanitizer_calls[] = {
	"sigaltstack", "sched_yield", "rt_sigaction", "prctl", "getrlimit",
	"prlimit64", "open", "openat", "close", "fstat", "newfstatat",
	"lseek", "read", "readlink", "readlinkat", "pread64", "mincore",
	"write", "getrusage",
};
#endif

static int
load_filter(const struct vg_sbx_isolation *iso)
{
	static const char *const plain[] = {
		"poll", "ppoll", "clock_gettime", "clock_getres",
		"gettimeofday", "time", "munmap", "mremap", "brk", "madvise",
		"futex", "exit", "exit_group", "rt_sigreturn",
		"rt_sigprocmask", "restart_syscall", "getpid", "gettid",
		"getppid",
	};
	struct scmp_arg_cmp arg[2];
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	size_t i;
	int rc = 0;

	if (ctx == NULL)
		return -ENOMEM;
	for (i = 0; rc == 0 && i < sizeof(plain) / sizeof(plain[0]); i++)
		rc = allow(ctx, plain[i], 0, NULL);
#ifdef VG_SBX_SANITIZED
	for (i = 0; rc == 0 &&
		    i < sizeof(sanitizer_calls) / sizeof(sanitizer_calls[0]);
	     i++)
		rc = allow(ctx, sanitizer_calls[i], 0, NULL);
#endif

	arg[0] = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)iso->wake_fd);
	rc = rc ? rc : allow(ctx, "read", 1, arg);
	arg[0] = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)iso->notify_fd);
	rc = rc ? rc : allow(ctx, "write", 1, arg);
	arg[0] = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)STDERR_FILENO);
	rc = rc ? rc : allow(ctx, "write", 1, arg);
	/* abort() raises SIGABRT on this process only. */
	arg[0] = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	rc = rc ? rc : allow(ctx, "tgkill", 1, arg);

	arg[0] = SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS);
	arg[1] = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	rc = rc ? rc : allow(ctx, "mmap", iso->allow_exec ? 1 : 2, arg);
	arg[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	rc = rc ? rc : allow(ctx, "mprotect", iso->allow_exec ? 0 : 1, arg);

	if (rc == 0) {
		rc = seccomp_load(ctx);
		if (rc != 0)
			VG_ERR(VG_SBX_TAG, "seccomp_load() failed: %s",
			       strerror(-rc));
	}
	seccomp_release(ctx);
	return rc;
}

/*
 * LeakSanitizer checks for leaks at exit from a thread it creates and
 * ptrace()s with, which the filter forbids. In sanitizer builds the check
 * runs once here instead, which also turns the exit-time check off.
 * NOTE: leaks made after isolation go unreported in those builds; the
 * unit tests cover that code with leak checks on.
 */
extern void __lsan_do_leak_check(void) __attribute__((weak));

int
vg_sbx_isolate(const struct vg_sbx_isolation *iso)
{
	int keep[4] = { iso->shm_fd, iso->wake_fd, iso->notify_fd,
			STDERR_FILENO };
	size_t mapped = mapped_bytes();
	size_t n = 0;
	size_t i;
	int rc;

	if (__lsan_do_leak_check != NULL)
		__lsan_do_leak_check();
	qsort(keep, 4, sizeof(keep[0]), compare_int);
	for (i = 0; i < 4; i++) {
		if (n == 0 || keep[n - 1] != keep[i])
			keep[n++] = keep[i];
	}
	rc = close_others(keep, n);
	if (rc != 0)
		return rc;

	if (mapped == 0) {
		VG_ERR(VG_SBX_TAG, "cannot read /proc/self/statm for the "
		       "address space limit");
		return -EIO;
	}
	rc = set_limit(RLIMIT_AS, (rlim_t)mapped + (rlim_t)iso->memory_mb *
							 (1u << 20),
		       "RLIMIT_AS");
	rc = rc ? rc : set_limit(RLIMIT_NOFILE, (rlim_t)keep[n - 1] + 1,
				 "RLIMIT_NOFILE");
	rc = rc ? rc : vg_sbx_isolate_early();
	if (rc != 0)
		return rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		VG_ERR(VG_SBX_TAG, "prctl(PR_SET_NO_NEW_PRIVS) failed: %s",
		       strerror(errno));
		return -errno;
	}
	rc = drop_user(iso);
	if (rc != 0)
		return rc;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
		VG_ERR(VG_SBX_TAG, "prctl() failed: %s", strerror(errno));
		return -errno;
	}
	if (getppid() != iso->parent) {
		VG_ERR(VG_SBX_TAG, "parent pid=%d exited during start-up",
		       (int)iso->parent);
		return -ESRCH;
	}
	return load_filter(iso);
}
