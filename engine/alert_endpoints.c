/*
 * Alert endpoints; see alert_endpoints.h.
 *
 * An endpoint's queue is a ring of rendered messages. The alert at the
 * head stays in the queue until it is delivered or given up, so the queue
 * bound also covers the alert in flight, and a retry can never let a
 * later alert overtake it. Each endpoint thread sleeps on its own
 * condition variable, both for new work and for the retry delay, so
 * stopping wakes it at once.
 *
 * Counters: delivered (accepted by the receiver), failed (attempts that
 * failed), retried (attempts after a failure), dropped (alerts lost to a
 * full queue, to the retry limit, or still queued when vigild stopped).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/log.h"
#include "alert_endpoints.h"
#include "output_file.h"

#define BACKOFF_MIN_MS 100
#define JSON_MAX 16384          /* a longer alert is cut, details last */
#define FAILURES_LOGGED 10      /* then one failure in 1000 is logged */

struct item {
	char *json;
	char subject[200];
	const char *event;
	unsigned int severity;
	uint64_t time_us;
};

struct endpoint {
	const struct vg_alert_endpoint_config *cfg;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct item *queue;
	uint32_t capacity;
	uint32_t head;
	uint32_t count;
	bool stopping;
	uint64_t deadline_ms;           /* when stopping: give up after */

	int fd;                         /* syslog socket, -1 when closed */
	int socktype;                   /* SOCK_DGRAM or SOCK_STREAM */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int file_fd;                    /* file endpoint, -1 when closed */
	bool fifo_waiting;              /* "waiting for a reader" logged */
	CURL *curl;
	char hostname[256];

	_Atomic uint64_t delivered;
	_Atomic uint64_t failed;
	_Atomic uint64_t retried;
	_Atomic uint64_t dropped;
};

struct vg_alert_endpoints {
	struct endpoint *list;
	unsigned int count;
};

static const char *const kind_names[] = {
	[VG_ENDPOINT_SYSLOG] = "syslog",
	[VG_ENDPOINT_WEBHOOK] = "webhook",
	[VG_ENDPOINT_FILE] = "file",
	[VG_ENDPOINT_EMAIL] = "email",
};

static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
log_failure(struct endpoint *ep, const char *what)
{
	uint64_t n = atomic_load(&ep->failed);

	if (n <= FAILURES_LOGGED || n % 1000 == 0)
		VG_WARN("alerts", "endpoint=%s kind=%s delivery failed: %s (failures=%" PRIu64 ")",
			ep->cfg->name, kind_names[ep->cfg->kind], what, n);
}

/* ---- syslog ---- */

/* Maps vigil severities to RFC 5424 ones: critical is 2, info is 6. */
static unsigned int
syslog_severity(unsigned int severity)
{
	static const unsigned int map[VG_ALERT_SEV_COUNT] = { 7, 6, 5, 4, 3, 2 };

	return severity < VG_ALERT_SEV_COUNT ? map[severity] : 7;
}

/* Resolves "unix:PATH", "udp:HOST:PORT" or "tcp:HOST:PORT" into <ep>. */
static int
syslog_resolve(struct endpoint *ep)
{
	const char *address = ep->cfg->address;
	struct addrinfo hints = { 0 }, *res = NULL;
	char host[VG_ALERT_ADDR_LEN];
	const char *port;
	int rc;

	if (strncmp(address, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&ep->addr;

		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", address + 5);
		ep->addr_len = sizeof(*un);
		ep->socktype = SOCK_DGRAM;
		return 0;
	}
	ep->socktype = strncmp(address, "tcp:", 4) == 0 ? SOCK_STREAM :
							   SOCK_DGRAM;
	snprintf(host, sizeof(host), "%s", address + 4);
	port = strrchr(host, ':');
	if (port == NULL)
		return -EINVAL;
	host[port - host] = '\0';
	port++;
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	hints.ai_socktype = ep->socktype;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0 || res == NULL) {
		VG_ERR("alerts", "endpoint=%s address=%s getaddrinfo() failed: %s",
		       ep->cfg->name, address, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(&ep->addr, res->ai_addr, res->ai_addrlen);
	ep->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/*
 * Returns true when the TCP peer has closed the connection.
 * NOTE: a line sent just before the peer closes is accepted by the kernel
 * and lost; only a receiver that acknowledges each line could prevent it.
 */
static bool
peer_closed(int fd)
{
	char byte;
	ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int
syslog_connect(struct endpoint *ep)
{
	struct timeval tv = { .tv_sec = ep->cfg->timeout_ms / 1000,
			      .tv_usec = (ep->cfg->timeout_ms % 1000) * 1000 };

	if (ep->fd >= 0 && ep->socktype == SOCK_STREAM && peer_closed(ep->fd)) {
		close(ep->fd);
		ep->fd = -1;
	}
	if (ep->fd >= 0)
		return 0;
	ep->fd = socket(ep->addr.ss_family, ep->socktype | SOCK_CLOEXEC, 0);
	if (ep->fd < 0)
		return -errno;
	setsockopt(ep->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(ep->fd, (struct sockaddr *)&ep->addr, ep->addr_len) != 0) {
		int rc = -errno;

		close(ep->fd);
		ep->fd = -1;
		return rc;
	}
	return 0;
}

static int
send_syslog(struct endpoint *ep, const struct item *it)
{
	char stamp[40], frame[32], line[JSON_MAX + 512];
	time_t secs = (time_t)(it->time_us / 1000000);
	struct tm tm;
	size_t len, off;
	int head;
	int rc;

	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* RFC 5424: PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD */
	len = (size_t)snprintf(line, sizeof(line),
			       "<%u>1 %s.%06" PRIu64 "Z %s vigild %d %s - %s",
			       ep->cfg->facility * 8 + syslog_severity(it->severity),
			       stamp, it->time_us % 1000000, ep->hostname,
			       (int)getpid(), it->event, it->json);
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	rc = syslog_connect(ep);
	if (rc != 0)
		return rc;
	if (ep->socktype == SOCK_DGRAM) {
		if (send(ep->fd, line, len, 0) < 0)
			goto fail;
		return 0;
	}
	/* RFC 6587 octet counting: "LENGTH SP MESSAGE". */
	head = snprintf(frame, sizeof(frame), "%zu ", len);
	if (send(ep->fd, frame, (size_t)head, MSG_NOSIGNAL) != head)
		goto fail;
	for (off = 0; off < len;) {
		ssize_t n = send(ep->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	return 0;
fail:
	rc = -errno;
	close(ep->fd);
	ep->fd = -1;
	return rc ? rc : -EIO;
}

/* ---- webhook and e-mail, through libcurl ---- */

static size_t
discard_body(char *data, size_t size, size_t n, void *ctx)
{
	(void)data;
	(void)ctx;
	return size * n;
}

static int
send_webhook(struct endpoint *ep, const struct item *it)
{
	struct curl_slist *headers;
	long status = 0;
	CURLcode rc;

	headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_reset(ep->curl);
	curl_easy_setopt(ep->curl, CURLOPT_URL, ep->cfg->url);
	curl_easy_setopt(ep->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(ep->curl, CURLOPT_TIMEOUT_MS, (long)ep->cfg->timeout_ms);
	curl_easy_setopt(ep->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(ep->curl, CURLOPT_POSTFIELDS, it->json);
	curl_easy_setopt(ep->curl, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(ep->curl, CURLOPT_USERAGENT, "vigild/" VG_VERSION);
	rc = curl_easy_perform(ep->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(ep->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		log_failure(ep, curl_easy_strerror(rc));
		return -EIO;
	}
	if (status < 200 || status > 299) {
		char what[64];

		snprintf(what, sizeof(what), "HTTP status %ld", status);
		log_failure(ep, what);
		return -EIO;
	}
	return 0;
}

struct mail {
	char *text;
	size_t len;
	size_t off;
};

static size_t
read_mail(char *buf, size_t size, size_t n, void *ctx)
{
	struct mail *m = ctx;
	size_t left = m->len - m->off;
	size_t take = size * n < left ? size * n : left;

	memcpy(buf, m->text + m->off, take);
	m->off += take;
	return take;
}

static int
send_email(struct endpoint *ep, const struct item *it)
{
	const struct vg_alert_endpoint_config *cfg = ep->cfg;
	struct curl_slist *rcpt = NULL;
	struct mail m = { 0 };
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t cap = strlen(it->json) + 4096;
	unsigned int i;
	CURLcode rc;

	m.text = malloc(cap);
	if (m.text == NULL)
		return -ENOMEM;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	m.len = (size_t)snprintf(m.text, cap,
				 "Date: %s\r\nFrom: <%s>\r\nTo: <%s>%s\r\n"
				 "Subject: %s\r\nContent-Type: application/json\r\n"
				 "\r\n%s\r\n",
				 date, cfg->from, cfg->to[0],
				 cfg->to_count > 1 ? " (and others)" : "",
				 it->subject, it->json);
	if (m.len >= cap)
		m.len = cap - 1;
	for (i = 0; i < cfg->to_count; i++)
		rcpt = curl_slist_append(rcpt, cfg->to[i]);
	curl_easy_reset(ep->curl);
	curl_easy_setopt(ep->curl, CURLOPT_URL, cfg->url);
	curl_easy_setopt(ep->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(ep->curl, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(ep->curl, CURLOPT_MAIL_FROM, cfg->from);
	curl_easy_setopt(ep->curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(ep->curl, CURLOPT_READFUNCTION, read_mail);
	curl_easy_setopt(ep->curl, CURLOPT_READDATA, &m);
	curl_easy_setopt(ep->curl, CURLOPT_UPLOAD, 1L);
	rc = curl_easy_perform(ep->curl);
	curl_slist_free_all(rcpt);
	free(m.text);
	if (rc != CURLE_OK) {
		log_failure(ep, curl_easy_strerror(rc));
		return -EIO;
	}
	return 0;
}

/* ---- file ---- */

/*
 * Opens a file endpoint's path for appending, with O_NONBLOCK so that a
 * FIFO without a reader fails with ENXIO at once instead of blocking the
 * thread in open(2). The descriptor stays non-blocking: write_all()
 * waits for room in a FIFO with poll(2), which a stop can end.
 */
static int
file_open(struct endpoint *ep)
{
	int fd;

	do
		fd = open(ep->cfg->path, O_WRONLY | O_APPEND | O_CREAT |
					 O_NONBLOCK | O_CLOEXEC, 0666);
	while (fd < 0 && errno == EINTR);
	if (fd < 0 && errno == ENXIO) {
		if (!ep->fifo_waiting)
			VG_INFO("alerts", "endpoint=%s kind=file waiting for a reader on FIFO %s, alerts stay queued (queue_size=%u)",
				ep->cfg->name, ep->cfg->path, ep->capacity);
		ep->fifo_waiting = true;
		return -ENXIO;
	}
	if (fd < 0)
		return -errno;
	if (ep->fifo_waiting)
		VG_INFO("alerts", "endpoint=%s kind=file a reader opened FIFO %s",
			ep->cfg->name, ep->cfg->path);
	ep->fifo_waiting = false;
	ep->file_fd = fd;
	return 0;
}

/* Returns true when the stop deadline has passed. */
static bool
past_stop_deadline(struct endpoint *ep)
{
	bool past;

	pthread_mutex_lock(&ep->lock);
	past = ep->stopping && monotonic_ms() >= ep->deadline_ms;
	pthread_mutex_unlock(&ep->lock);
	return past;
}

/*
 * Writes <len> bytes, waiting while a FIFO is full. Returns 0, a negative
 * errno (EPIPE once the reader has closed its end), or -ETIMEDOUT when
 * the stop deadline passed first.
 * NOTE: a line cut short by the stop deadline stays cut in the FIFO; the
 * reader sees a last line that is not valid JSON.
 */
static int
write_all(struct endpoint *ep, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(ep->file_fd, data + off, len - off);
		struct pollfd pfd = { .fd = ep->file_fd, .events = POLLOUT };

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (past_stop_deadline(ep))
			return -ETIMEDOUT;
		poll(&pfd, 1, VG_OUTPUT_FIFO_RETRY_MS);
	}
	return 0;
}

static int
send_file(struct endpoint *ep, const struct item *it)
{
	size_t len = strlen(it->json);
	int rc;

	if (ep->file_fd < 0) {
		rc = file_open(ep);
		if (rc != 0)
			return rc;
	}
	/* The line and its newline in one write(2): strdup() left room. */
	it->json[len] = '\n';
	rc = write_all(ep, it->json, len + 1);
	it->json[len] = '\0';
	if (rc != 0) {
		close(ep->file_fd);
		ep->file_fd = -1;
	}
	return rc;
}

static int
send_item(struct endpoint *ep, const struct item *it)
{
	int rc = -EINVAL;

	switch (ep->cfg->kind) {
	case VG_ENDPOINT_SYSLOG:
		rc = send_syslog(ep, it);
		if (rc != 0)
			log_failure(ep, strerror(-rc));
		break;
	case VG_ENDPOINT_WEBHOOK:
		rc = send_webhook(ep, it);
		break;
	case VG_ENDPOINT_FILE:
		rc = send_file(ep, it);
		if (rc != 0 && rc != -ENXIO)
			log_failure(ep, strerror(-rc));
		break;
	case VG_ENDPOINT_EMAIL:
		rc = send_email(ep, it);
		break;
	}
	return rc;
}

/* ---- endpoint thread ---- */

static void
pop_head(struct endpoint *ep)
{
	pthread_mutex_lock(&ep->lock);
	free(ep->queue[ep->head].json);
	ep->queue[ep->head].json = NULL;
	ep->head = (ep->head + 1) % ep->capacity;
	ep->count--;
	pthread_mutex_unlock(&ep->lock);
}

/*
 * Sleeps <ms>, or until the stop deadline when that comes first; returns
 * true when the thread must end.
 */
static bool
wait_retry(struct endpoint *ep, uint64_t ms)
{
	struct timespec until;
	uint64_t now = monotonic_ms();
	bool give_up;

	pthread_mutex_lock(&ep->lock);
	if (ep->stopping && ep->deadline_ms < now + ms)
		ms = ep->deadline_ms > now ? ep->deadline_ms - now : 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	/* New alerts signal the condition too, so only a stop cuts the
	 * delay short; the next wait is then bounded by its deadline. */
	while (pthread_cond_timedwait(&ep->wake, &ep->lock, &until) == 0 &&
	       !ep->stopping)
		;
	give_up = ep->stopping && monotonic_ms() >= ep->deadline_ms;
	pthread_mutex_unlock(&ep->lock);
	return give_up;
}

static void *
endpoint_main(void *arg)
{
	struct endpoint *ep = arg;
	uint64_t backoff = BACKOFF_MIN_MS;
	uint32_t attempts = 0;
	int rc;

	pthread_setname_np(pthread_self(), "vg-endpoint");
	for (;;) {
		struct item it;

		pthread_mutex_lock(&ep->lock);
		while (ep->count == 0 && !ep->stopping)
			pthread_cond_wait(&ep->wake, &ep->lock);
		if (ep->count == 0 ||
		    (ep->stopping && monotonic_ms() >= ep->deadline_ms)) {
			pthread_mutex_unlock(&ep->lock);
			break;
		}
		it = ep->queue[ep->head];
		pthread_mutex_unlock(&ep->lock);

		rc = send_item(ep, &it);
		if (attempts > 0 && rc != -ENXIO)
			atomic_fetch_add(&ep->retried, 1);
		if (rc == 0) {
			atomic_fetch_add(&ep->delivered, 1);
			pop_head(ep);
			attempts = 0;
			backoff = BACKOFF_MIN_MS;
			continue;
		}
		/* A FIFO without a reader is waited for like flows.output:
		 * no failure and no retry counted, the alert stays queued. */
		if (rc == -ENXIO) {
			if (wait_retry(ep, VG_OUTPUT_FIFO_RETRY_MS))
				break;
			continue;
		}
		atomic_fetch_add(&ep->failed, 1);
		attempts++;
		if (ep->cfg->retries > 0 && attempts > ep->cfg->retries) {
			atomic_fetch_add(&ep->dropped, 1);
			pop_head(ep);
			attempts = 0;
			backoff = BACKOFF_MIN_MS;
			continue;
		}
		if (wait_retry(ep, backoff))
			break;
		backoff = backoff * 2 > ep->cfg->backoff_max_ms ?
				  ep->cfg->backoff_max_ms :
				  backoff * 2;
	}
	/* What is left was not delivered before the stop deadline. */
	pthread_mutex_lock(&ep->lock);
	atomic_fetch_add(&ep->dropped, ep->count);
	pthread_mutex_unlock(&ep->lock);
	return NULL;
}

/* ---- public ---- */

static bool
passes_filters(const struct vg_alert_endpoint_config *cfg,
	       const struct vg_alert *a)
{
	unsigned int i;

	if (a->severity < cfg->min_severity)
		return false;
	if (cfg->type_count == 0)
		return true;
	for (i = 0; i < cfg->type_count; i++) {
		if (strcmp(cfg->types[i], a->type) == 0)
			return true;
	}
	return false;
}

void
vg_alert_endpoints_deliver(struct vg_alert_endpoints *eps,
			   const struct vg_alert *a, const char *event)
{
	char *json = NULL;
	unsigned int i;

	for (i = 0; i < eps->count; i++) {
		struct endpoint *ep = &eps->list[i];
		struct item *it;

		if (!passes_filters(ep->cfg, a))
			continue;
		if (json == NULL) {
			json = malloc(JSON_MAX);
			if (json == NULL)
				return;
			vg_alert_to_json(a, event, json, JSON_MAX);
		}
		pthread_mutex_lock(&ep->lock);
		if (ep->count == ep->capacity) {
			pthread_mutex_unlock(&ep->lock);
			atomic_fetch_add(&ep->dropped, 1);
			continue;
		}
		it = &ep->queue[(ep->head + ep->count) % ep->capacity];
		it->json = strdup(json);
		if (it->json == NULL) {
			pthread_mutex_unlock(&ep->lock);
			atomic_fetch_add(&ep->dropped, 1);
			continue;
		}
		snprintf(it->subject, sizeof(it->subject),
			 "vigil %s alert %s: %.60s %.80s",
			 vg_alert_severity_name(a->severity), event, a->type,
			 a->entity_value);
		it->event = event;
		it->severity = a->severity;
		it->time_us = a->last_us;
		ep->count++;
		pthread_cond_signal(&ep->wake);
		pthread_mutex_unlock(&ep->lock);
	}
	free(json);
}

void
vg_alert_endpoints_each_counter(struct vg_alert_endpoints *eps, vg_counter_fn fn,
				void *ctx)
{
	unsigned int i;

	for (i = 0; i < eps->count; i++) {
		struct endpoint *ep = &eps->list[i];
		const char *name = ep->cfg->name;
		uint32_t queued;

		pthread_mutex_lock(&ep->lock);
		queued = ep->count;
		pthread_mutex_unlock(&ep->lock);
		fn(ctx, "delivered", name, atomic_load(&ep->delivered));
		fn(ctx, "failed", name, atomic_load(&ep->failed));
		fn(ctx, "retried", name, atomic_load(&ep->retried));
		fn(ctx, "dropped", name, atomic_load(&ep->dropped));
		fn(ctx, "queued", name, queued);
	}
}

void
vg_alert_endpoints_stats_json(struct vg_alert_endpoints *eps, char *out,
			      size_t len)
{
	size_t used = 0;
	unsigned int i;

	used += (size_t)snprintf(out, len, "[");
	for (i = 0; i < eps->count && used < len; i++) {
		struct endpoint *ep = &eps->list[i];
		uint32_t queued;

		pthread_mutex_lock(&ep->lock);
		queued = ep->count;
		pthread_mutex_unlock(&ep->lock);
		used += (size_t)snprintf(
			out + used, len - used,
			"%s{\"name\":\"%s\",\"kind\":\"%s\",\"delivered\":%" PRIu64
			",\"failed\":%" PRIu64 ",\"retried\":%" PRIu64
			",\"dropped\":%" PRIu64 ",\"queued\":%u}",
			i ? "," : "", ep->cfg->name, kind_names[ep->cfg->kind],
			atomic_load(&ep->delivered), atomic_load(&ep->failed),
			atomic_load(&ep->retried), atomic_load(&ep->dropped),
			queued);
	}
	if (used + 2 <= len)
		snprintf(out + used, len - used, "]");
	else if (len > 0)
		snprintf(out, len, "[]");
}

static int
setup_endpoint(struct endpoint *ep, const struct vg_alert_endpoint_config *cfg)
{
	ep->cfg = cfg;
	ep->fd = -1;
	ep->file_fd = -1;
	ep->capacity = cfg->queue_size ? cfg->queue_size : 1;
	ep->queue = calloc(ep->capacity, sizeof(*ep->queue));
	if (ep->queue == NULL)
		return -ENOMEM;
	pthread_mutex_init(&ep->lock, NULL);
	pthread_cond_init(&ep->wake, NULL);
	if (gethostname(ep->hostname, sizeof(ep->hostname) - 1) != 0 ||
	    ep->hostname[0] == '\0')
		strcpy(ep->hostname, "-");
	if (cfg->kind == VG_ENDPOINT_SYSLOG && syslog_resolve(ep) != 0)
		return -EINVAL;
	if (cfg->kind == VG_ENDPOINT_WEBHOOK || cfg->kind == VG_ENDPOINT_EMAIL) {
		ep->curl = curl_easy_init();
		if (ep->curl == NULL)
			return -ENOMEM;
	}
	if (pthread_create(&ep->thread, NULL, endpoint_main, ep) != 0)
		return -EAGAIN;
	ep->started = true;
	return 0;
}

struct vg_alert_endpoints *
vg_alert_endpoints_start(const struct vg_alerts_config *cfg)
{
	struct vg_alert_endpoints *eps = calloc(1, sizeof(*eps));
	unsigned int i;

	if (eps == NULL)
		return NULL;
	/* Not thread-safe, so it runs here, before any endpoint thread. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	eps->list = calloc(cfg->endpoint_count, sizeof(*eps->list));
	if (eps->list == NULL && cfg->endpoint_count > 0) {
		free(eps);
		return NULL;
	}
	for (i = 0; i < cfg->endpoint_count; i++) {
		int rc = setup_endpoint(&eps->list[i], &cfg->endpoints[i]);

		eps->count = i + 1;
		if (rc != 0) {
			VG_ERR("alerts", "endpoint=%s kind=%s setup failed: %s",
			       cfg->endpoints[i].name,
			       kind_names[cfg->endpoints[i].kind], strerror(-rc));
			vg_alert_endpoints_stop(eps, 0);
			return NULL;
		}
		VG_INFO("alerts", "endpoint=%s kind=%s started queue_size=%u",
			cfg->endpoints[i].name,
			kind_names[cfg->endpoints[i].kind],
			cfg->endpoints[i].queue_size);
	}
	return eps;
}

void
vg_alert_endpoints_stop(struct vg_alert_endpoints *eps, unsigned int drain_ms)
{
	uint64_t deadline = monotonic_ms() + drain_ms;
	unsigned int i;

	if (eps == NULL)
		return;
	for (i = 0; i < eps->count; i++) {
		struct endpoint *ep = &eps->list[i];

		if (!ep->started)
			continue;
		pthread_mutex_lock(&ep->lock);
		ep->stopping = true;
		ep->deadline_ms = deadline;
		pthread_cond_signal(&ep->wake);
		pthread_mutex_unlock(&ep->lock);
	}
	for (i = 0; i < eps->count; i++) {
		struct endpoint *ep = &eps->list[i];
		uint32_t k;

		if (ep->started)
			pthread_join(ep->thread, NULL);
		if (ep->cfg != NULL)
			VG_INFO("alerts", "endpoint=%s kind=%s delivered=%" PRIu64 " failed=%" PRIu64 " retried=%" PRIu64 " dropped=%" PRIu64,
				ep->cfg->name, kind_names[ep->cfg->kind],
				atomic_load(&ep->delivered),
				atomic_load(&ep->failed),
				atomic_load(&ep->retried),
				atomic_load(&ep->dropped));
		for (k = 0; ep->queue != NULL && k < ep->capacity; k++)
			free(ep->queue[k].json);
		free(ep->queue);
		if (ep->fd >= 0)
			close(ep->fd);
		if (ep->file_fd >= 0)
			close(ep->file_fd);
		if (ep->curl != NULL)
			curl_easy_cleanup(ep->curl);
		if (ep->started) {
			pthread_mutex_destroy(&ep->lock);
			pthread_cond_destroy(&ep->wake);
		}
	}
	free(eps->list);
	free(eps);
	curl_global_cleanup();
}
