/*
 * Hosts and servers of vigil-sample's simulated network.
 *
 * Hosts get an OS, and the OS decides what they do: its browser's
 * User-Agent and use of HTTP/3, its time server, its connectivity check,
 * its initial TTL and how it picks ephemeral ports. Servers come from a
 * fixed catalogue of well-known names. Their addresses are taken from the
 * documentation prefixes (see world.h) in catalogue order, and their
 * round-trip times are drawn from the seed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

#define WIN VG_OS_BIT(VG_OS_WINDOWS)
#define MAC VG_OS_BIT(VG_OS_MACOS)
#define LNX VG_OS_BIT(VG_OS_LINUX)
#define AND VG_OS_BIT(VG_OS_ANDROID)
#define IOS VG_OS_BIT(VG_OS_IOS)
#define TV VG_OS_BIT(VG_OS_TV)
#define PHONE (AND | IOS)
#define PERSONAL (VG_OS_DESKTOP | PHONE)

#define TLS VG_SVC_TLS
#define QUIC VG_SVC_QUIC

struct service_spec {
	const char *name;
	unsigned offers;
	unsigned weight;
	unsigned os_mask;
	int video;
	const char *software;
	int has_v6;
};

/* Weights are relative popularity among the servers a client may pick. */
static const struct service_spec catalogue[] = {
	{ "www.google.com", TLS | QUIC | VG_SVC_PING, 30, VG_OS_ALL, 0,
		"gws", 1 },
	{ "www.youtube.com", TLS | QUIC, 18, VG_OS_ALL, 0, "ESF", 1 },
	{ "rr4---sn-n4v7sns7.googlevideo.com", TLS | QUIC, 4, VG_OS_ALL, 1,
		"gvs 1.0", 1 },
	{ "fonts.gstatic.com", TLS | QUIC, 12, PERSONAL, 0, "sffe", 1 },
	{ "www.facebook.com", TLS | QUIC, 12, PERSONAL, 0, "proxygen-bolt",
		1 },
	{ "www.instagram.com", TLS | QUIC, 8, PERSONAL, 0, "proxygen-bolt",
		1 },
	{ "www.cloudflare.com", TLS | QUIC | VG_SVC_PING, 4, PERSONAL, 0,
		"cloudflare", 1 },
	{ "github.com", TLS | VG_SVC_SSH | VG_SVC_PING, 8, VG_OS_DESKTOP, 0,
		"SSH-2.0-babeld-6b1c2e7a", 0 },
	{ "api.github.com", TLS, 4, VG_OS_DESKTOP, 0, "GitHub.com", 0 },
	{ "en.wikipedia.org", TLS | VG_SVC_PING, 8, PERSONAL, 0, "ATS/9.1.4",
		1 },
	{ "www.amazon.com", TLS, 8, PERSONAL | TV, 0, "Server", 1 },
	{ "www.netflix.com", TLS, 5, VG_OS_ALL, 0, "envoy", 1 },
	{ "ipv4-c001-lax009-ix.1.oca.nflxvideo.net", TLS, 3, TV | PHONE | MAC,
		1, "nginx", 0 },
	{ "api.spotify.com", TLS, 5, PERSONAL, 0, "envoy", 1 },
	{ "outlook.office365.com", TLS, 8, WIN | MAC | PHONE, 0,
		"Microsoft-HTTPAPI/2.0", 1 },
	{ "login.microsoftonline.com", TLS, 5, WIN, 0, "Microsoft-IIS/10.0",
		1 },
	{ "www.apple.com", TLS, 3, MAC | IOS, 0, "Apple", 1 },
	{ "gateway.icloud.com", TLS, 6, MAC | IOS, 0, "AppleHttpServer", 1 },
	{ "slack.com", TLS, 5, PERSONAL, 0, "envoy", 0 },
	{ "zoom.us", TLS, 3, VG_OS_DESKTOP, 0, "ZOOM", 0 },
	{ "www.reddit.com", TLS, 5, PERSONAL, 0, "snooserv", 0 },
	{ "www.linkedin.com", TLS, 3, PERSONAL, 0, "Play", 1 },
	{ "www.bbc.co.uk", TLS, 3, PERSONAL | TV, 0, "BBC-Gateway", 0 },
	{ "www.debian.org", TLS, 2, LNX, 0, "Apache", 1 },
	{ "incoming.telemetry.mozilla.org", TLS, 3, LNX, 0, "nginx", 0 },
	{ "www.dropbox.com", TLS, 2, VG_OS_DESKTOP, 0, "envoy", 1 },
	{ "web.whatsapp.com", TLS, 4, PERSONAL, 0, "Apache", 1 },
	{ "discord.com", TLS, 3, PERSONAL, 0, "cloudflare", 0 },
	{ "deb.debian.org", VG_SVC_HTTP, 1, LNX, 0, "Apache", 1 },
	{ "www.msftconnecttest.com", VG_SVC_HTTP, 1, WIN, 0,
		"Microsoft-IIS/10.0", 0 },
	{ "ctldl.windowsupdate.com", VG_SVC_HTTP, 1, WIN, 0,
		"ECAcc (lac/5598)", 0 },
	{ "connectivitycheck.gstatic.com", VG_SVC_HTTP, 1, AND, 0, "gws", 1 },
	{ "captive.apple.com", VG_SVC_HTTP, 1, MAC | IOS, 0, "AkamaiGHost",
		1 },
	{ "detectportal.firefox.com", VG_SVC_HTTP, 1, LNX, 0, "nginx", 1 },
	{ "neverssl.com", VG_SVC_HTTP, 1, VG_OS_DESKTOP, 0, "AmazonS3", 0 },
	{ "example.com", VG_SVC_HTTP, 1, VG_OS_ALL, 0, "ECAcc (nyd/D187)", 1 },
	{ "bastion.example.net", VG_SVC_SSH | VG_SVC_PING, 1, LNX | MAC, 0,
		"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", 1 },
	{ "0.debian.pool.ntp.org", VG_SVC_NTP, 1, LNX, 0, NULL, 1 },
	{ "time.windows.com", VG_SVC_NTP, 1, WIN, 0, NULL, 0 },
	{ "time.apple.com", VG_SVC_NTP, 1, MAC | IOS, 0, NULL, 1 },
	{ "time.android.com", VG_SVC_NTP, 1, AND, 0, NULL, 1 },
	{ "pool.ntp.org", VG_SVC_NTP, 1, TV, 0, NULL, 0 },
};

#define CATALOGUE_SIZE (sizeof(catalogue) / sizeof(catalogue[0]))

struct os_profile {
	unsigned share;		/* percent of hosts */
	uint8_t ttl;
	int quic;
	uint32_t gap_ms;
	const char *user_agent;
};

static const struct os_profile profiles[VG_OS_COUNT] = {
	[VG_OS_WINDOWS] = { 30, 128, 1, 3000,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
		"(KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36" },
	[VG_OS_MACOS] = { 15, 64, 0, 3000,
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
		"AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 "
		"Safari/605.1.15" },
	[VG_OS_LINUX] = { 15, 64, 1, 3000,
		"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 "
		"Firefox/123.0" },
	[VG_OS_ANDROID] = { 20, 64, 1, 5000,
		"Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 "
		"(KHTML, like Gecko) Chrome/122.0.6261.105 Mobile "
		"Safari/537.36" },
	[VG_OS_IOS] = { 12, 64, 0, 5000,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) "
		"AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 "
		"Mobile/15E148 Safari/604.1" },
	[VG_OS_TV] = { 8, 64, 0, 9000,
		"Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 "
		"(KHTML, like Gecko) SamsungBrowser/5.0 Chrome/94.0.4606.31 TV "
		"Safari/537.36" },
};

static const uint8_t lan_v6_prefix[8] = {
	0xfd, 0x42, 0x7a, 0x1c, 0x9e, 0x3b, 0x00, 0x01
};

static enum vg_os
pick_os(struct vg_rng *rng)
{
	uint64_t roll = vg_rng_range(rng, 0, 99);
	int os;

	for (os = 0; os < VG_OS_COUNT - 1; os++) {
		if (roll < profiles[os].share)
			return (enum vg_os)os;
		roll -= profiles[os].share;
	}
	return VG_OS_TV;
}

/* A unicast, locally administered MAC, as phones and VMs randomize them. */
static void
random_mac(struct vg_rng *rng, uint8_t mac[6])
{
	vg_rng_fill(rng, mac, 6);
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}

static void
host_init(struct vg_world *w, struct vg_host *host, size_t index)
{
	const struct os_profile *p;

	host->os = pick_os(&w->rng);
	p = &profiles[host->os];
	random_mac(&w->rng, host->mac);
	host->v4[0] = 192;
	host->v4[1] = 168;
	host->v4[2] = 1;
	host->v4[3] = (uint8_t)(10 + index);

	/* Privacy addresses: a random interface identifier in the ULA /64. */
	host->dual_stack = host->os != VG_OS_TV && vg_rng_chance(&w->rng, 60);
	memcpy(host->v6, lan_v6_prefix, sizeof(lan_v6_prefix));
	vg_rng_fill(&w->rng, host->v6 + 8, 8);

	host->ttl = p->ttl;
	host->next_port = (uint16_t)vg_rng_range(&w->rng, 49152, 60999);
	host->user_agent = p->user_agent;
	host->quic = p->quic;
	host->activity_gap_ms = p->gap_ms;
}

static void
service_init(struct vg_world *w, struct vg_service *svc, size_t index)
{
	const struct service_spec *spec = &catalogue[index];
	static const uint8_t v6_prefix[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	svc->name = spec->name;
	svc->offers = spec->offers;
	svc->weight = spec->weight;
	svc->os_mask = spec->os_mask;
	svc->video = spec->video;
	svc->software = spec->software;
	svc->has_v6 = spec->has_v6;

	/* Alternate between 198.51.100.0/24 and 203.0.113.0/24. */
	svc->v4[0] = index % 2 ? 203 : 198;
	svc->v4[1] = index % 2 ? 0 : 51;
	svc->v4[2] = index % 2 ? 113 : 100;
	svc->v4[3] = (uint8_t)(10 + index);

	memset(svc->v6, 0, sizeof(svc->v6));
	memcpy(svc->v6, v6_prefix, sizeof(v6_prefix));
	svc->v6[5] = (uint8_t)(0x10 + index);
	svc->v6[15] = (uint8_t)vg_rng_range(&w->rng, 1, 255);

	svc->rtt_us = (uint32_t)vg_rng_range(&w->rng, 4000, 120000);
}

int
vg_world_init(struct vg_world *w, uint64_t seed, size_t host_count,
	uint64_t start_us, uint64_t end_us)
{
	static const uint8_t resolver_v4[4] = { 192, 0, 2, 53 };
	static const uint8_t resolver_v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00,
		0x53, [15] = 0x53 };
	size_t i;

	memset(w, 0, sizeof(*w));
	vg_trace_init(&w->trace);
	w->rng.state = seed;
	w->start_us = start_us;
	w->end_us = end_us;
	memcpy(w->resolver_v4, resolver_v4, sizeof(resolver_v4));
	memcpy(w->resolver_v6, resolver_v6, sizeof(resolver_v6));
	w->resolver_rtt_us = (uint32_t)vg_rng_range(&w->rng, 6000, 15000);
	random_mac(&w->rng, w->gateway_mac);

	w->hosts = calloc(host_count, sizeof(*w->hosts));
	w->services = calloc(CATALOGUE_SIZE, sizeof(*w->services));
	if (w->hosts == NULL || w->services == NULL) {
		vg_world_free(w);
		return -ENOMEM;
	}

	w->host_count = host_count;
	for (i = 0; i < host_count; i++)
		host_init(w, &w->hosts[i], i);
	w->service_count = CATALOGUE_SIZE;
	for (i = 0; i < CATALOGUE_SIZE; i++)
		service_init(w, &w->services[i], i);
	return 0;
}

void
vg_world_free(struct vg_world *w)
{
	vg_trace_free(&w->trace);
	free(w->hosts);
	free(w->services);
	w->hosts = NULL;
	w->services = NULL;
}

struct vg_service *
vg_world_service(struct vg_world *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->service_count; i++)
		if (strcmp(w->services[i].name, name) == 0)
			return &w->services[i];
	return NULL;
}

static int
service_fits(const struct vg_service *svc, const struct vg_host *host,
	unsigned offers)
{
	return (svc->offers & offers) == offers &&
		(svc->os_mask & VG_OS_BIT(host->os)) != 0;
}

struct vg_service *
vg_world_pick(struct vg_world *w, const struct vg_host *host,
	unsigned offers)
{
	uint64_t total = 0;
	uint64_t roll;
	size_t i;

	for (i = 0; i < w->service_count; i++)
		if (service_fits(&w->services[i], host, offers))
			total += w->services[i].weight;
	if (total == 0)
		return NULL;

	roll = vg_rng_range(&w->rng, 0, total - 1);
	for (i = 0; i < w->service_count; i++) {
		struct vg_service *svc = &w->services[i];

		if (!service_fits(svc, host, offers))
			continue;
		if (roll < svc->weight)
			return svc;
		roll -= svc->weight;
	}
	return NULL;
}

int
vg_world_family(const struct vg_host *host, const struct vg_service *svc)
{
	/* Happy Eyeballs: a dual-stack host prefers IPv6 when it exists. */
	return host->dual_stack && svc->has_v6 ? 6 : 4;
}

/*
 * Returns a new ephemeral port. Windows walks its dynamic range one port at
 * a time. Linux, Android and Apple stacks, whose choice depends on the
 * destination, are approximated by small random steps through their range.
 * Either way a port comes back only after the whole range has been used,
 * so conversations of one host do not share a 5-tuple in a normal run
 * (NTP sent from port 123 aside).
 */
static uint16_t
ephemeral_port(struct vg_world *w, struct vg_host *host)
{
	uint32_t lo = 32768, hi = 60999;
	uint32_t port;

	if (host->os == VG_OS_WINDOWS || host->os == VG_OS_MACOS ||
	    host->os == VG_OS_IOS) {
		lo = 49152;
		hi = 65535;
	}

	port = host->next_port;
	if (host->os == VG_OS_WINDOWS)
		port += 1;
	else
		port += (uint32_t)vg_rng_range(&w->rng, 1, 32);
	if (port < lo || port > hi)
		port = lo + port % (hi - lo + 1);
	host->next_port = (uint16_t)port;
	return host->next_port;
}

/*
 * Remote TTL as seen at the capture point: an initial TTL of 64, 128 or
 * 255 minus 8 to 19 hops, fixed per remote address.
 */
static uint8_t
remote_ttl(const uint8_t *addr, int family)
{
	static const uint8_t initial[4] = { 64, 64, 128, 255 };
	uint8_t last = addr[family == 6 ? 15 : 3];

	return (uint8_t)(initial[last % 4] - 8 - last % 12);
}

void
vg_world_path(struct vg_world *w, struct vg_path *path,
	struct vg_host *host, int family, const uint8_t *addr, uint16_t port,
	uint32_t rtt_us)
{
	struct vg_endpoint *client = &path->end[VG_C2S];
	struct vg_endpoint *server = &path->end[VG_S2C];
	size_t alen = family == 6 ? 16 : 4;

	memset(path, 0, sizeof(*path));
	client->family = family;
	memcpy(client->mac, host->mac, 6);
	memcpy(client->addr, family == 6 ? host->v6 : host->v4, alen);
	client->port = ephemeral_port(w, host);

	server->family = family;
	memcpy(server->mac, w->gateway_mac, 6);
	memcpy(server->addr, addr, alen);
	server->port = port;

	path->ttl[VG_C2S] = host->ttl;
	path->ttl[VG_S2C] = remote_ttl(addr, family);
	path->ip_id[VG_C2S] = (uint16_t)vg_rng_next(&w->rng);
	path->ip_id[VG_S2C] = (uint16_t)vg_rng_next(&w->rng);
	path->flow_label = (uint32_t)vg_rng_next(&w->rng) & 0xfffff;

	/* Each conversation has the base RTT plus up to 10% of jitter. */
	path->rtt_us = rtt_us + (uint32_t)vg_rng_range(&w->rng, 0, rtt_us / 10);
}

void
vg_world_service_path(struct vg_world *w, struct vg_path *path,
	struct vg_host *host, const struct vg_service *svc, uint16_t port)
{
	int family = vg_world_family(host, svc);

	vg_world_path(w, path, host, family, family == 6 ? svc->v6 : svc->v4,
		port, svc->rtt_us);
}

int
vg_world_has_time(const struct vg_world *w, uint64_t now_us,
	uint64_t margin_us)
{
	return now_us + margin_us < w->end_us;
}
