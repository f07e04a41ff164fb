/*
 * The simulated network of vigil-sample and the conversations held in it.
 *
 * A home or small-office LAN (192.168.1.0/24 and the ULA prefix
 * fd42:7a1c:9e3b:1::/64) sits behind one gateway. The capture point is on
 * the LAN side, so every remote packet carries the gateway's MAC. Remote
 * servers, including the DNS resolver, use the documentation prefixes
 * 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32, so no
 * address in the file belongs to anyone, while the server names are real
 * and let a DPI engine name the application.
 *
 * NOTE: the LAN's IPv6 hosts reach the Internet from ULA addresses, which
 * real networks translate (NPTv6) or replace with global addresses. The
 * sample keeps the ULA so that local and remote IPv6 hosts are easy to
 * tell apart.
 *
 * world.c builds hosts and servers, while flows_web.c (HTTP, TLS, QUIC) and
 * flows_net.c (DNS, NTP, ICMP, SSH, port scans) script conversations.
 */
#ifndef VG_SAMPLE_WORLD_H
#define VG_SAMPLE_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"

/* Largest number of local hosts: .10 to .249 of the IPv4 /24. */
#define VG_HOSTS_MAX 240

enum vg_os {
	VG_OS_WINDOWS,
	VG_OS_MACOS,
	VG_OS_LINUX,
	VG_OS_ANDROID,
	VG_OS_IOS,
	VG_OS_TV,
	VG_OS_COUNT,
};

#define VG_OS_BIT(os) (1u << (os))
#define VG_OS_DESKTOP (VG_OS_BIT(VG_OS_WINDOWS) | VG_OS_BIT(VG_OS_MACOS) | \
	VG_OS_BIT(VG_OS_LINUX))
#define VG_OS_ALL ((1u << VG_OS_COUNT) - 1)

struct vg_host {
	enum vg_os os;
	uint8_t mac[6];
	uint8_t v4[4];
	uint8_t v6[16];
	int dual_stack;
	uint8_t ttl;
	uint16_t next_port;	/* last ephemeral port handed out */
	const char *user_agent;	/* the host's browser */
	int quic;		/* the browser uses HTTP/3 when offered */
	uint32_t activity_gap_ms;	/* mean time between activities */
};

/* Services a remote server offers (vg_service.offers). */
#define VG_SVC_TLS 0x01
#define VG_SVC_QUIC 0x02
#define VG_SVC_HTTP 0x04
#define VG_SVC_SSH 0x08
#define VG_SVC_NTP 0x10
#define VG_SVC_PING 0x20

struct vg_service {
	const char *name;
	unsigned offers;	/* VG_SVC_* */
	unsigned weight;	/* popularity among TLS destinations */
	unsigned os_mask;	/* clients that use it (VG_OS_BIT) */
	int video;		/* large downloads */
	const char *software;	/* HTTP Server header or SSH banner */
	uint8_t v4[4];
	uint8_t v6[16];
	int has_v6;
	uint32_t rtt_us;
};

/* Conversations of each kind generated so far. */
struct vg_counts {
	unsigned dns;
	unsigned http;
	unsigned tls;
	unsigned quic;
	unsigned ssh;
	unsigned ntp;
	unsigned icmp;
	unsigned scan_probes;
};

struct vg_world {
	struct vg_trace trace;
	struct vg_rng rng;
	struct vg_host *hosts;
	size_t host_count;
	struct vg_service *services;
	size_t service_count;
	uint8_t gateway_mac[6];
	uint8_t resolver_v4[4];
	uint8_t resolver_v6[16];
	uint32_t resolver_rtt_us;
	uint64_t start_us;
	uint64_t end_us;
	struct vg_counts counts;
};

/*
 * Builds host_count hosts and the server catalogue from seed. The capture
 * covers [start_us, end_us). Returns 0 or -ENOMEM.
 */
int
vg_world_init(struct vg_world *w, uint64_t seed, size_t host_count,
	uint64_t start_us, uint64_t end_us);

void
vg_world_free(struct vg_world *w);

/* Returns the service called name, or NULL. */
struct vg_service *
vg_world_service(struct vg_world *w, const char *name);

/*
 * Picks a service that offers all of the VG_SVC_* bits in offers and is
 * used by host's OS, weighted by popularity. Returns NULL if none fits.
 */
struct vg_service *
vg_world_pick(struct vg_world *w, const struct vg_host *host,
	unsigned offers);

/* Returns 6 if host reaches svc over IPv6, else 4. */
int
vg_world_family(const struct vg_host *host, const struct vg_service *svc);

/*
 * Fills path for a conversation from a new ephemeral port of host to
 * remote address addr (4 or 16 bytes for family 4 or 6), port and rtt_us.
 */
void
vg_world_path(struct vg_world *w, struct vg_path *path,
	struct vg_host *host, int family, const uint8_t *addr, uint16_t port,
	uint32_t rtt_us);

/* Same, for a service, with the address family from vg_world_family. */
void
vg_world_service_path(struct vg_world *w, struct vg_path *path,
	struct vg_host *host, const struct vg_service *svc, uint16_t port);

/* Returns 1 while at least margin_us remain before the end of capture. */
int
vg_world_has_time(const struct vg_world *w, uint64_t now_us,
	uint64_t margin_us);

/* ---- Conversations (flows_web.c) ---------------------------------------- */

/*
 * Each script generates one whole conversation starting at ts_us and
 * returns the time of its last packet.
 */

/* HTTPS over TCP: TLS 1.2 or 1.3 handshake, requests, FIN teardown. */
uint64_t
vg_flow_tls(struct vg_world *w, struct vg_host *host,
	const struct vg_service *svc, uint64_t ts_us);

/* HTTP/3: QUIC v1 Initial exchange, handshake and 1-RTT data. */
uint64_t
vg_flow_quic(struct vg_world *w, struct vg_host *host,
	const struct vg_service *svc, uint64_t ts_us);

/*
 * Plain HTTP/1.1 on port 80: a connectivity check, a package download or
 * a page, chosen to suit the host's OS. Resolves the name first.
 */
uint64_t
vg_flow_http(struct vg_world *w, struct vg_host *host, uint64_t ts_us);

/* ---- Conversations (flows_net.c) ---------------------------------------- */

/*
 * Resolves name through the resolver: an A query, plus an AAAA query from
 * the same port for dual-stack hosts. Returns when the last answer
 * arrives. svc supplies the answers, and NULL makes the answers empty.
 */
uint64_t
vg_flow_dns(struct vg_world *w, struct vg_host *host, const char *name,
	const struct vg_service *svc, uint64_t ts_us);

/* One NTP v4 client/server exchange with the OS's time server. */
uint64_t
vg_flow_ntp(struct vg_world *w, struct vg_host *host, uint64_t ts_us);

/* Four ICMP or ICMPv6 echo requests one second apart, with replies. */
uint64_t
vg_flow_ping(struct vg_world *w, struct vg_host *host,
	const struct vg_service *svc, uint64_t ts_us);

/* SSH: banners, KEXINIT, ECDH, then an interactive or git session. */
uint64_t
vg_flow_ssh(struct vg_world *w, struct vg_host *host,
	const struct vg_service *svc, uint64_t ts_us);

/*
 * SYN scan from scanner to port_count ports of the target. target_host
 * selects a LAN victim. When it is NULL the target is the remote address
 * addr of the given family. Closed ports reply RST-ACK, open ports
 * SYN-ACK (and the scanner resets), and a share of remote ports stays
 * silent as a firewall would.
 */
uint64_t
vg_flow_scan(struct vg_world *w, struct vg_host *scanner,
	struct vg_host *target_host, int family, const uint8_t *addr,
	unsigned port_count, uint64_t ts_us);

#endif
