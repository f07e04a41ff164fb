/*
 * vigil-web's users, sessions and login throttling.
 *
 * Users live in <data_dir>/users, one "name:role:hash" line each, where
 * hash is libsodium's crypto_pwhash_str() (Argon2id, interactive limits)
 * and role is admin or readonly. The file is mode 0600 and replaced
 * atomically (write, fsync, rename). On first start, with no admin in the
 * file, the admin gets web.admin_password or a generated password that is
 * printed once on standard output.
 *
 * Sessions are in memory only (a restart logs everyone out): a random
 * 256-bit token for the cookie and another for the CSRF header, compared
 * in constant time. Failed logins are counted per client address in a
 * fixed table, so an attacker with many addresses can evict entries but
 * never make vigil-web allocate.
 */
#ifndef VG_WEB_AUTH_H
#define VG_WEB_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>

#include "common/config.h"

#define VG_AUTH_USERS_MAX 64
#define VG_AUTH_NAME_MAX 64
#define VG_AUTH_TOKEN_HEX 64          /* 32 random bytes as hex */
#define VG_AUTH_SESSIONS_MAX 4096
#define VG_AUTH_RATE_SLOTS 4096
#define VG_AUTH_RATE_WINDOW_MS 60000

enum vg_role {
	VG_ROLE_NONE = 0,
	VG_ROLE_READONLY,
	VG_ROLE_ADMIN,
};

struct vg_user {
	char name[VG_AUTH_NAME_MAX];
	enum vg_role role;
	char hash[crypto_pwhash_STRBYTES];
};

struct vg_session {
	struct vg_session *next;
	char token[VG_AUTH_TOKEN_HEX + 1];
	char csrf[VG_AUTH_TOKEN_HEX + 1];
	char user[VG_AUTH_NAME_MAX];
	enum vg_role role;
	uint64_t last_ms;
};

struct vg_login_attempts {
	uint8_t addr[16];
	uint64_t window_start_ms;
	uint32_t failures;
};

struct vg_auth {
	char users_path[VG_PATH_MAX + 8];
	struct vg_user users[VG_AUTH_USERS_MAX];
	unsigned int user_count;
	struct vg_session *sessions;
	unsigned int session_count;
	uint64_t session_timeout_ms;
	uint32_t attempts_max;
	struct vg_login_attempts attempts[VG_AUTH_RATE_SLOTS];
	char dummy_hash[crypto_pwhash_STRBYTES]; /* for unknown users */
};

const char *
vg_role_name(enum vg_role role);

/*
 * Loads the users file under web->data_dir (creating the directory and
 * the file when missing) and makes sure an admin exists, as described
 * above. Returns 0, or a negative errno with a message in <err>.
 */
int
vg_auth_init(struct vg_auth *auth, const struct vg_web_config *web,
	     char *err, size_t err_len);

/*
 * Parses the users file under <data_dir> as vg_auth_init does, without
 * keeping it. Returns 0 (also when the file does not exist), or a
 * negative errno with "PATH:LINE: problem" in <err>.
 */
int
vg_auth_check_users(const char *data_dir, char *err, size_t err_len);

/*
 * Returns true, with the problem and its fix in <text>, when the users
 * file <path> is readable or writable by its group or by others.
 */
bool
vg_auth_users_mode_problem(const char *path, char *text, size_t text_len);

/*
 * Sets <password> for <name> with <role> in the users file under
 * <data_dir>, adding the user if new. Returns 0 or a negative errno with
 * a message in <err>.
 */
int
vg_auth_set_password(const char *data_dir, const char *name,
		     enum vg_role role, const char *password, char *err,
		     size_t err_len);

/* Returns the user called <name>, or NULL. */
const struct vg_user *
vg_auth_user(const struct vg_auth *auth, const char *name);

/*
 * Checks <password> against <hash> (or against a dummy hash when <hash>
 * is NULL, so an unknown user costs the same time). Takes about as long
 * as hashing; run it off the event loop. Safe from any thread.
 */
bool
vg_auth_verify(const struct vg_auth *auth, const char *hash,
	       const char *password);

/* Starts a session; the least recently used one goes when full. */
struct vg_session *
vg_auth_session_new(struct vg_auth *auth, const char *user,
		    enum vg_role role, uint64_t now_ms);

/*
 * Returns the live session with cookie token <token> (<len> bytes) and
 * marks it used, or NULL. Expired sessions are removed.
 */
struct vg_session *
vg_auth_session_find(struct vg_auth *auth, const char *token, size_t len,
		     uint64_t now_ms);

void
vg_auth_session_end(struct vg_auth *auth, struct vg_session *session);

/* Returns true when the <len>-byte <csrf> header matches <session>. */
bool
vg_auth_csrf_ok(const struct vg_session *session, const char *csrf,
		size_t len);

/*
 * Returns 0 when client <addr> (16 bytes) may try a login now, or the
 * seconds until it may.
 */
unsigned int
vg_auth_login_wait(struct vg_auth *auth, const uint8_t *addr,
		   uint64_t now_ms);

/* Counts a failed login of <addr>; a success clears its count. */
void
vg_auth_login_result(struct vg_auth *auth, const uint8_t *addr, bool ok,
		     uint64_t now_ms);

#endif
