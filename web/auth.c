/*
 * Users, sessions and login throttling; see auth.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "auth.h"

#define PROBES 8

const char *
vg_role_name(enum vg_role role)
{
	switch (role) {
	case VG_ROLE_ADMIN:
		return "admin";
	case VG_ROLE_READONLY:
		return "readonly";
	default:
		return "none";
	}
}

static enum vg_role
role_of(const char *name)
{
	if (strcmp(name, "admin") == 0)
		return VG_ROLE_ADMIN;
	if (strcmp(name, "readonly") == 0)
		return VG_ROLE_READONLY;
	return VG_ROLE_NONE;
}

static bool
valid_name(const char *name)
{
	size_t i;

	if (name[0] == '\0' || strlen(name) >= VG_AUTH_NAME_MAX)
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return false;
	}
	return true;
}

/*
 * Creates <dir> with mode 0700 when missing, and its missing parents
 * with mode 0755 (less the umask), as `mkdir -p` does.
 */
static int
ensure_dir(const char *dir, char *err, size_t err_len)
{
	char path[VG_PATH_MAX];
	struct stat st;
	size_t len = strlen(dir);
	size_t i;

	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(err, err_len, "web.data_dir '%s' is not a directory",
			 dir);
		return -ENOTDIR;
	}
	if (len >= sizeof(path)) {
		snprintf(err, err_len, "web.data_dir '%s' is too long", dir);
		return -ENAMETOOLONG;
	}
	memcpy(path, dir, len + 1);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	for (i = 1; i <= len; i++) {
		int rc;

		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, i == len ? 0700 : 0755) != 0 &&
		    (errno != EEXIST || i == len)) {
			rc = -errno;
			snprintf(err, err_len, "web.data_dir '%s': mkdir(%s) failed: %s",
				 dir, path, strerror(errno));
			return rc;
		}
		path[i] = i == len ? '\0' : '/';
	}
	return 0;
}

static int
load_users(struct vg_user *users, unsigned int *count, const char *path,
	   char *err, size_t err_len)
{
	char line[512];
	unsigned int lineno = 0;
	FILE *f;

	*count = 0;
	f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, err_len, "%s: fopen() failed: %s", path,
			 strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		struct vg_user *u = &users[*count];
		char *role;
		char *hash;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		role = strchr(line, ':');
		hash = role != NULL ? strchr(role + 1, ':') : NULL;
		if (hash == NULL || *count == VG_AUTH_USERS_MAX)
			goto bad;
		*role++ = '\0';
		*hash++ = '\0';
		if (!valid_name(line) || strlen(line) >= sizeof(u->name) ||
		    role_of(role) == VG_ROLE_NONE ||
		    strlen(hash) >= sizeof(u->hash))
			goto bad;
		memcpy(u->name, line, strlen(line) + 1);
		u->role = role_of(role);
		memcpy(u->hash, hash, strlen(hash) + 1);
		(*count)++;
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	snprintf(err, err_len, "%s:%u: expected name:admin|readonly:hash (at most %d users)",
		 path, lineno, VG_AUTH_USERS_MAX);
	return -EINVAL;
}

static int
save_users(const struct vg_user *users, unsigned int count, const char *path,
	   char *err, size_t err_len)
{
	char tmp[VG_PATH_MAX + 16];
	unsigned int i;
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* A new file every time, because O_EXCL never follows a link or
	 * opens a device left at the name. A stale one is left by a save
	 * that was interrupted. */
	if (unlink(tmp) != 0 && errno != ENOENT)
		goto fail;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		goto fail;
	}
	for (i = 0; i < count; i++)
		fprintf(f, "%s:%s:%s\n", users[i].name,
			vg_role_name(users[i].role), users[i].hash);
	if (fflush(f) != 0 || fsync(fd) != 0) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
	unlink(tmp);
	return -EIO;
}

static int
hash_password(const char *password, char *out, char *err, size_t err_len)
{
	if (crypto_pwhash_str(out, password, strlen(password),
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		snprintf(err, err_len, "crypto_pwhash_str() failed: out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Adds or updates <name> in <users>; returns it, or NULL when full. */
static struct vg_user *
upsert(struct vg_user *users, unsigned int *count, const char *name,
       enum vg_role role)
{
	unsigned int i;

	for (i = 0; i < *count; i++) {
		if (strcmp(users[i].name, name) == 0)
			break;
	}
	if (i == *count) {
		if (*count == VG_AUTH_USERS_MAX)
			return NULL;
		(*count)++;
		snprintf(users[i].name, sizeof(users[i].name), "%s", name);
	}
	users[i].role = role;
	return &users[i];
}

int
vg_auth_set_password(const char *data_dir, const char *name,
		     enum vg_role role, const char *password, char *err,
		     size_t err_len)
{
	static struct vg_user users[VG_AUTH_USERS_MAX];
	char path[VG_PATH_MAX + 8];
	unsigned int count;
	struct vg_user *u;
	int rc;

	if (!valid_name(name)) {
		snprintf(err, err_len, "invalid user name '%s': use 1..63 letters, digits, '_', '-' or '.'",
			 name);
		return -EINVAL;
	}
	if (strlen(password) < 8) {
		snprintf(err, err_len, "a password needs at least 8 characters");
		return -EINVAL;
	}
	if (sodium_init() < 0) {
		snprintf(err, err_len, "sodium_init() failed");
		return -EIO;
	}
	rc = ensure_dir(data_dir, err, err_len);
	if (rc != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/%s", data_dir, VG_WEB_USERS_FILE);
	rc = load_users(users, &count, path, err, err_len);
	if (rc != 0)
		return rc;
	u = upsert(users, &count, name, role);
	if (u == NULL) {
		snprintf(err, err_len, "%s already has %d users", path,
			 VG_AUTH_USERS_MAX);
		return -ENOSPC;
	}
	rc = hash_password(password, u->hash, err, err_len);
	if (rc == 0)
		rc = save_users(users, count, path, err, err_len);
	return rc;
}

/* Makes sure an admin exists, from the config or a generated password. */
static int
ensure_admin(struct vg_auth *auth, const struct vg_web_config *web,
	     char *err, size_t err_len)
{
	unsigned char random[18];
	char generated[32];
	const char *password = web->admin_password;
	struct vg_user *admin = NULL;
	unsigned int i;
	int rc;

	for (i = 0; i < auth->user_count; i++) {
		if (auth->users[i].role == VG_ROLE_ADMIN)
			admin = &auth->users[i];
	}
	if (admin != NULL && (password[0] == '\0' ||
			      vg_auth_verify(auth, admin->hash, password)))
		return 0;
	if (password[0] == '\0') {
		randombytes_buf(random, sizeof(random));
		sodium_bin2base64(generated, sizeof(generated), random,
				  sizeof(random),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		password = generated;
	}
	if (admin == NULL)
		admin = upsert(auth->users, &auth->user_count, "admin",
			       VG_ROLE_ADMIN);
	if (admin == NULL) {
		snprintf(err, err_len, "%s has no admin and no room for one",
			 auth->users_path);
		return -ENOSPC;
	}
	rc = hash_password(password, admin->hash, err, err_len);
	if (rc == 0)
		rc = save_users(auth->users, auth->user_count,
				auth->users_path, err, err_len);
	if (rc != 0)
		return rc;
	if (password == generated) {
		/* Shown once, on purpose: only its hash is kept. */
		printf("vigil-web: user '%s' created with password %s (stored hashed in %s; it is not shown again)\n",
		       admin->name, generated, auth->users_path);
		fflush(stdout);
		sodium_memzero(generated, sizeof(generated));
	} else {
		VG_INFO("web", "user=%s password set from web.admin_password",
			admin->name);
	}
	return 0;
}

bool
vg_auth_users_mode_problem(const char *path, char *text, size_t text_len)
{
	struct stat st;
	unsigned int mode;

	if (stat(path, &st) != 0 || (st.st_mode & 0066) == 0)
		return false;
	mode = (unsigned int)(st.st_mode & 07777);
	snprintf(text, text_len, "%s: mode %04o lets %s read or write the password hashes; run chmod 600 %s",
		 path, mode,
		 (st.st_mode & 0060) && (st.st_mode & 0006) ? "group and others" :
		 (st.st_mode & 0060) ? "its group" : "others",
		 path);
	return true;
}

int
vg_auth_check_users(const char *data_dir, char *err, size_t err_len)
{
	static struct vg_user users[VG_AUTH_USERS_MAX];
	char path[VG_PATH_MAX + 8];
	unsigned int count;

	snprintf(path, sizeof(path), "%s/%s", data_dir, VG_WEB_USERS_FILE);
	return load_users(users, &count, path, err, err_len);
}

int
vg_auth_init(struct vg_auth *auth, const struct vg_web_config *web,
	     char *err, size_t err_len)
{
	int rc;

	memset(auth, 0, sizeof(*auth));
	if (sodium_init() < 0) {
		snprintf(err, err_len, "sodium_init() failed");
		return -EIO;
	}
	auth->session_timeout_ms = (uint64_t)web->session_timeout * 1000;
	auth->attempts_max = web->login_attempts;
	rc = ensure_dir(web->data_dir, err, err_len);
	if (rc != 0)
		return rc;
	snprintf(auth->users_path, sizeof(auth->users_path), "%s/%s",
		 web->data_dir, VG_WEB_USERS_FILE);
	rc = load_users(auth->users, &auth->user_count, auth->users_path, err,
			err_len);
	if (rc != 0)
		return rc;
	{
		char problem[3 * VG_PATH_MAX];

		if (vg_auth_users_mode_problem(auth->users_path, problem,
					       sizeof(problem)))
			VG_WARN("web", "%s", problem);
	}
	/* A hash of a random password: verifying against it always fails. */
	{
		unsigned char random[16];
		char pw[40];

		randombytes_buf(random, sizeof(random));
		sodium_bin2hex(pw, sizeof(pw), random, sizeof(random));
		rc = hash_password(pw, auth->dummy_hash, err, err_len);
		if (rc != 0)
			return rc;
	}
	return ensure_admin(auth, web, err, err_len);
}

const struct vg_user *
vg_auth_user(const struct vg_auth *auth, const char *name)
{
	unsigned int i;

	for (i = 0; i < auth->user_count; i++) {
		if (strcmp(auth->users[i].name, name) == 0)
			return &auth->users[i];
	}
	return NULL;
}

bool
vg_auth_verify(const struct vg_auth *auth, const char *hash,
	       const char *password)
{
	bool known = hash != NULL;

	if (hash == NULL)
		hash = auth->dummy_hash;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) ==
		       0 &&
	       known;
}

static void
random_hex(char *out)
{
	unsigned char random[VG_AUTH_TOKEN_HEX / 2];

	randombytes_buf(random, sizeof(random));
	sodium_bin2hex(out, VG_AUTH_TOKEN_HEX + 1, random, sizeof(random));
}

static void
unlink_session(struct vg_auth *auth, struct vg_session *s)
{
	struct vg_session **p;

	for (p = &auth->sessions; *p != NULL; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			auth->session_count--;
			sodium_memzero(s, sizeof(*s));
			free(s);
			return;
		}
	}
}

struct vg_session *
vg_auth_session_new(struct vg_auth *auth, const char *user,
		    enum vg_role role, uint64_t now_ms)
{
	struct vg_session *s;

	if (auth->session_count >= VG_AUTH_SESSIONS_MAX) {
		struct vg_session *oldest = auth->sessions;

		for (s = auth->sessions; s != NULL; s = s->next) {
			if (s->last_ms < oldest->last_ms)
				oldest = s;
		}
		unlink_session(auth, oldest);
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	random_hex(s->token);
	random_hex(s->csrf);
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->role = role;
	s->last_ms = now_ms;
	s->next = auth->sessions;
	auth->sessions = s;
	auth->session_count++;
	return s;
}

struct vg_session *
vg_auth_session_find(struct vg_auth *auth, const char *token, size_t len,
		     uint64_t now_ms)
{
	struct vg_session *s = auth->sessions;

	if (len != VG_AUTH_TOKEN_HEX)
		return NULL;
	while (s != NULL) {
		struct vg_session *next = s->next;

		if (now_ms - s->last_ms > auth->session_timeout_ms) {
			unlink_session(auth, s);
		} else if (sodium_memcmp(s->token, token, VG_AUTH_TOKEN_HEX) ==
			   0) {
			s->last_ms = now_ms;
			return s;
		}
		s = next;
	}
	return NULL;
}

void
vg_auth_session_end(struct vg_auth *auth, struct vg_session *session)
{
	unlink_session(auth, session);
}

bool
vg_auth_csrf_ok(const struct vg_session *session, const char *csrf,
		size_t len)
{
	return csrf != NULL && len == VG_AUTH_TOKEN_HEX &&
	       sodium_memcmp(session->csrf, csrf, VG_AUTH_TOKEN_HEX) == 0;
}

static uint32_t
addr_slot(const uint8_t *addr)
{
	uint32_t h = 2166136261u;
	unsigned int i;

	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h % VG_AUTH_RATE_SLOTS;
}

/*
 * Returns the entry of <addr>, or when <create>, a free, expired or
 * oldest entry among its probes, reset for <addr>.
 */
static struct vg_login_attempts *
attempts_of(struct vg_auth *auth, const uint8_t *addr, uint64_t now_ms,
	    bool create)
{
	struct vg_login_attempts *victim = NULL;
	uint32_t i = addr_slot(addr);
	unsigned int p;

	for (p = 0; p < PROBES; p++, i = (i + 1) % VG_AUTH_RATE_SLOTS) {
		struct vg_login_attempts *a = &auth->attempts[i];
		bool expired = a->failures == 0 ||
			       now_ms - a->window_start_ms >=
				       VG_AUTH_RATE_WINDOW_MS;

		if (memcmp(a->addr, addr, 16) == 0 && !expired)
			return a;
		if (victim == NULL || expired ||
		    a->window_start_ms < victim->window_start_ms)
			victim = a;
	}
	if (!create)
		return NULL;
	memcpy(victim->addr, addr, 16);
	victim->window_start_ms = now_ms;
	victim->failures = 0;
	return victim;
}

unsigned int
vg_auth_login_wait(struct vg_auth *auth, const uint8_t *addr,
		   uint64_t now_ms)
{
	struct vg_login_attempts *a = attempts_of(auth, addr, now_ms, false);
	uint64_t left;

	if (a == NULL || a->failures < auth->attempts_max)
		return 0;
	left = a->window_start_ms + VG_AUTH_RATE_WINDOW_MS - now_ms;
	return (unsigned int)((left + 999) / 1000);
}

void
vg_auth_login_result(struct vg_auth *auth, const uint8_t *addr, bool ok,
		     uint64_t now_ms)
{
	struct vg_login_attempts *a = attempts_of(auth, addr, now_ms, !ok);

	if (a == NULL)
		return;
	if (ok)
		a->failures = 0;
	else
		a->failures++;
}
