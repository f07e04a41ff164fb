/*
 * TLS for vigil-web: the server context, loaded from web.tls_certificate
 * and web.tls_key, with OpenSSL's own reason in every error so that an
 * operator sees why a file does not load.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "web.h"

/*
 * Writes OpenSSL's first queued error into <buf> as "library: reason
 * (detail)" and clears the queue. The first error is the cause, and the
 * ones queued after it name the calls that gave up.
 */
static void
openssl_error(char *buf, size_t len)
{
	const char *data = NULL;
	const char *lib;
	const char *reason;
	unsigned long e;
	int flags = 0;

	e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
	if (e == 0) {
		snprintf(buf, len, "no reason given by OpenSSL");
		return;
	}
	lib = ERR_lib_error_string(e);
	reason = ERR_reason_error_string(e);
	/* OpenSSL 3 keeps errno as the reason of a failed system call. */
	if (reason == NULL && ERR_SYSTEM_ERROR(e))
		reason = strerror((int)ERR_GET_REASON(e));
	snprintf(buf, len, "%s: %s%s%s%s", lib != NULL ? lib : "OpenSSL",
		 reason != NULL ? reason : "unknown error",
		 (flags & ERR_TXT_STRING) && data[0] != '\0' ? " (" : "",
		 (flags & ERR_TXT_STRING) ? data : "",
		 (flags & ERR_TXT_STRING) && data[0] != '\0' ? ")" : "");
	/* <data> lives in the queue: cleared only once copied. */
	ERR_clear_error();
}

int
vg_http_tls_load(const struct vg_config *cfg, void **ssl_ctx, char *err,
		 size_t err_len)
{
	const struct vg_web_config *wc = &cfg->web;
	char why[512];
	SSL_CTX *ctx;

	*ssl_ctx = NULL;
	if (wc->tls_certificate[0] == '\0')
		return 0;
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		openssl_error(why, sizeof(why));
		snprintf(err, err_len, "SSL_CTX_new() failed: %s", why);
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, wc->tls_certificate) != 1) {
		openssl_error(why, sizeof(why));
		vg_config_error_at(cfg, &wc->tls_certificate_at,
				   "web.tls_certificate", err, err_len,
				   "'%s' cannot be loaded: %s",
				   wc->tls_certificate, why);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, wc->tls_key, SSL_FILETYPE_PEM) !=
	    1) {
		openssl_error(why, sizeof(why));
		vg_config_error_at(cfg, &wc->tls_key_at, "web.tls_key", err,
				   err_len, "'%s' cannot be loaded: %s",
				   wc->tls_key, why);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		openssl_error(why, sizeof(why));
		vg_config_error_at(cfg, &wc->tls_key_at, "web.tls_key", err,
				   err_len, "'%s' does not match web.tls_certificate '%s': %s",
				   wc->tls_key, wc->tls_certificate, why);
		goto fail;
	}
	h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
	*ssl_ctx = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return -EINVAL;
}

void
vg_http_tls_free(void *ssl_ctx)
{
	SSL_CTX_free(ssl_ctx);
}
