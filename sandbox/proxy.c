/*
 * The flow, host, interface, network and system objects hooks receive.
 *
 * Each plugin state has one userdata per kind, created at load time and
 * pointed at the decoded protobuf-c message of the current event before
 * each hook, so no table is built per event. A field is read only when the
 * hook asks for it: __index looks the name up in a table that maps field
 * names to their descriptor index, and methods to their C function, and
 * converts the one value. Between hooks the object points at nothing, so
 * an object a plugin kept in a global fails loudly instead of showing a
 * later event's data.
 *
 * Fields and methods are listed in docs/plugins.md; an unknown name is an
 * error, so a misspelt field does not read as a silent nil.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "sandbox/sandbox.h"

enum field_type {
	F_U32,
	F_U64,
	F_BOOL,
	F_STR,
	F_IP,
	F_TIME,       /* microseconds, returned as seconds */
	F_STRLIST,    /* n_x at off, x at off2 */
	F_DOUBLE,
	F_SPECIAL,
};

enum special {
	S_HOOK,
	S_ID,
	S_L4,
	S_PACKETS,
	S_BYTES,
	S_TCP_FLAGS,
	S_DURATION,
	S_KEY,
	S_HOST_BYTES,
	S_PLUGINS_DISABLED, /* --disable: plugins vigild left out */
};

struct field {
	const char *name;
	enum field_type type;
	size_t off;
	size_t off2;
	enum special special;
};

#define FLD(type_, name_, ftype_, member_) \
	{ name_, ftype_, offsetof(type_, member_), 0, 0 }
#define LIST(type_, name_, n_, arr_) \
	{ name_, F_STRLIST, offsetof(type_, n_), offsetof(type_, arr_), 0 }
#define SPECIAL(name_, which_) { name_, F_SPECIAL, 0, 0, which_ }

#define FE Vigil__V1__FlowEvent
static const struct field flow_fields[] = {
	SPECIAL("hook", S_HOOK),
	SPECIAL("id", S_ID),
	SPECIAL("l4", S_L4),
	FLD(FE, "l4_proto", F_U32, l4_proto),
	FLD(FE, "client_ip", F_IP, client_ip),
	FLD(FE, "client_port", F_U32, client_port),
	FLD(FE, "server_ip", F_IP, server_ip),
	FLD(FE, "server_port", F_U32, server_port),
	FLD(FE, "vlan", F_U32, vlan),
	FLD(FE, "l7", F_STR, l7),
	FLD(FE, "l7_master", F_STR, l7_master),
	FLD(FE, "l7_app", F_STR, l7_app),
	FLD(FE, "master_proto", F_U32, master_proto),
	FLD(FE, "app_proto", F_U32, app_proto),
	FLD(FE, "category", F_STR, category),
	FLD(FE, "confidence", F_STR, confidence),
	FLD(FE, "c2s_packets", F_U64, c2s_packets),
	FLD(FE, "c2s_bytes", F_U64, c2s_bytes),
	FLD(FE, "s2c_packets", F_U64, s2c_packets),
	FLD(FE, "s2c_bytes", F_U64, s2c_bytes),
	SPECIAL("packets", S_PACKETS),
	SPECIAL("bytes", S_BYTES),
	FLD(FE, "first_seen", F_TIME, first_seen_us),
	FLD(FE, "last_seen", F_TIME, last_seen_us),
	SPECIAL("duration", S_DURATION),
	FLD(FE, "server_name", F_STR, server_name),
	FLD(FE, "ja3_client", F_STR, ja3_client),
	LIST(FE, "risks", n_risks, risks),
	FLD(FE, "c2s_tcp_flags", F_U32, c2s_tcp_flags),
	FLD(FE, "s2c_tcp_flags", F_U32, s2c_tcp_flags),
	SPECIAL("tcp_flags", S_TCP_FLAGS),
	FLD(FE, "retransmissions", F_U32, retransmissions),
	FLD(FE, "out_of_order", F_U32, out_of_order),
	FLD(FE, "zero_windows", F_U32, zero_windows),
	FLD(FE, "rtt_us", F_U32, rtt_us),
	FLD(FE, "swapped", F_BOOL, swapped),
	FLD(FE, "partial", F_BOOL, partial),
	FLD(FE, "score", F_U32, score),
	LIST(FE, "statuses", n_statuses, statuses),
	FLD(FE, "client_local", F_BOOL, client_local),
	FLD(FE, "server_local", F_BOOL, server_local),
	SPECIAL("key", S_KEY),
};
#undef FE

#define HS Vigil__V1__HostSnapshot
static const struct field host_fields[] = {
	SPECIAL("hook", S_HOOK),
	SPECIAL("key", S_KEY),
	FLD(HS, "ip", F_IP, ip),
	FLD(HS, "vlan", F_U32, vlan),
	FLD(HS, "local", F_BOOL, local),
	FLD(HS, "bytes_sent", F_U64, bytes_sent),
	FLD(HS, "bytes_rcvd", F_U64, bytes_rcvd),
	SPECIAL("bytes", S_HOST_BYTES),
	FLD(HS, "packets_sent", F_U64, packets_sent),
	FLD(HS, "packets_rcvd", F_U64, packets_rcvd),
	FLD(HS, "flows_as_client", F_U32, flows_as_client),
	FLD(HS, "flows_as_server", F_U32, flows_as_server),
	FLD(HS, "total_flows_as_client", F_U64, total_flows_as_client),
	FLD(HS, "total_flows_as_server", F_U64, total_flows_as_server),
	FLD(HS, "score", F_U32, score),
	FLD(HS, "first_seen", F_TIME, first_seen_us),
	FLD(HS, "last_seen", F_TIME, last_seen_us),
	FLD(HS, "dns_bytes", F_U64, dns_bytes),
	FLD(HS, "p2p_bytes", F_U64, p2p_bytes),
	FLD(HS, "syn_sent", F_U32, syn_sent),
	FLD(HS, "syn_rcvd", F_U32, syn_rcvd),
	FLD(HS, "synack_sent", F_U32, synack_sent),
	FLD(HS, "synack_rcvd", F_U32, synack_rcvd),
};
#undef HS

#define IS Vigil__V1__InterfaceSnapshot
static const struct field interface_fields[] = {
	SPECIAL("hook", S_HOOK),
	SPECIAL("key", S_KEY),
	FLD(IS, "name", F_STR, name),
	FLD(IS, "packets", F_U64, packets),
	FLD(IS, "bytes", F_U64, bytes),
	FLD(IS, "imissed", F_U64, imissed),
	FLD(IS, "ring_full", F_U64, ring_full),
	FLD(IS, "active_flows", F_U32, active_flows),
	FLD(IS, "active_hosts", F_U32, active_hosts),
	FLD(IS, "flows_table_full", F_U64, flows_table_full),
	FLD(IS, "flows_capacity", F_U32, flows_capacity),
	FLD(IS, "hosts_capacity", F_U32, hosts_capacity),
	FLD(IS, "hosts_table_full", F_U64, hosts_table_full),
};
#undef IS

#define NS Vigil__V1__NetworkSnapshot
static const struct field network_fields[] = {
	SPECIAL("hook", S_HOOK),
	SPECIAL("key", S_KEY),
	FLD(NS, "cidr", F_STR, cidr),
	FLD(NS, "bytes_in", F_U64, bytes_in),
	FLD(NS, "bytes_out", F_U64, bytes_out),
	FLD(NS, "bytes_inside", F_U64, bytes_inside),
	FLD(NS, "flows_in", F_U64, flows_in),
	FLD(NS, "flows_out", F_U64, flows_out),
};
#undef NS

#define SS Vigil__V1__SystemSnapshot
static const struct field system_fields[] = {
	SPECIAL("hook", S_HOOK),
	SPECIAL("key", S_KEY),
	FLD(SS, "uptime_s", F_U64, uptime_s),
	FLD(SS, "rss_bytes", F_U64, rss_bytes),
	FLD(SS, "events_lost", F_U64, events_lost),
	FLD(SS, "disk_free_ratio", F_DOUBLE, disk_free_ratio),
	FLD(SS, "disk_total_bytes", F_U64, disk_total_bytes),
	SPECIAL("plugins_disabled", S_PLUGINS_DISABLED),
};
#undef SS

static const struct {
	const struct field *fields;
	size_t count;
} kind_fields[VG_SBX_KINDS] = {
	[VG_SBX_FLOW] = { flow_fields,
			  sizeof(flow_fields) / sizeof(flow_fields[0]) },
	[VG_SBX_HOST] = { host_fields,
			  sizeof(host_fields) / sizeof(host_fields[0]) },
	[VG_SBX_INTERFACE] = { interface_fields, sizeof(interface_fields) /
							 sizeof(interface_fields[0]) },
	[VG_SBX_NETWORK] = { network_fields, sizeof(network_fields) /
						     sizeof(network_fields[0]) },
	[VG_SBX_SYSTEM] = { system_fields,
			    sizeof(system_fields) / sizeof(system_fields[0]) },
};

/* Formats a 4- or 16-byte address; anything else gives "". */
static const char *
format_ip(const ProtobufCBinaryData *ip, char *buf, size_t size)
{
	if (ip->len == 4 && inet_ntop(AF_INET, ip->data, buf, (socklen_t)size))
		return buf;
	if (ip->len == 16 &&
	    inet_ntop(AF_INET6, ip->data, buf, (socklen_t)size))
		return buf;
	return "";
}

static const char *
l4_name(uint32_t proto)
{
	switch (proto) {
	case 1:
		return "ICMP";
	case 2:
		return "IGMP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 47:
		return "GRE";
	case 50:
		return "ESP";
	case 58:
		return "ICMPv6";
	case 132:
		return "SCTP";
	default:
		return NULL;
	}
}

/* Appends <s> to <buf> at <*len>, truncating at <size> - 1. */
static void
append(char *buf, size_t size, size_t *len, const char *s)
{
	while (*s != '\0' && *len + 1 < size)
		buf[(*len)++] = *s++;
	buf[*len] = '\0';
}

static void
append_uint(char *buf, size_t size, size_t *len, uint32_t v)
{
	char digits[11];
	size_t n = sizeof(digits) - 1;

	digits[n] = '\0';
	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	append(buf, size, len, digits + n);
}

static void
append_endpoint(char *buf, size_t size, size_t *len,
		const ProtobufCBinaryData *ip, uint32_t port)
{
	char text[INET6_ADDRSTRLEN];
	bool v6 = ip->len == 16;

	append(buf, size, len, v6 ? "[" : "");
	append(buf, size, len, format_ip(ip, text, sizeof(text)));
	append(buf, size, len, v6 ? "]:" : ":");
	append_uint(buf, size, len, port);
}

/*
 * Writes "a:p-b:q@vlan" with IPv6 addresses in brackets; built by hand
 * because it is formatted for every flow alert, and snprintf showed in
 * profiles.
 */
static int
flow_key(const Vigil__V1__FlowEvent *fe, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	append_endpoint(buf, size, &len, &fe->client_ip, fe->client_port);
	append(buf, size, &len, "-");
	append_endpoint(buf, size, &len, &fe->server_ip, fe->server_port);
	append(buf, size, &len, "@");
	append_uint(buf, size, &len, fe->vlan);
	return (int)len;
}

int
vg_sbx_entity_value(enum vg_sbx_kind kind, const void *element, char *buf,
		    size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	switch (kind) {
	case VG_SBX_FLOW:
		return flow_key(element, buf, size);
	case VG_SBX_HOST: {
		const Vigil__V1__HostSnapshot *h = element;

		return snprintf(buf, size, "%s@%u",
				format_ip(&h->ip, ip, sizeof(ip)), h->vlan);
	}
	case VG_SBX_INTERFACE:
		return snprintf(buf, size, "%s",
				((const Vigil__V1__InterfaceSnapshot *)element)
					->name);
	case VG_SBX_NETWORK:
		return snprintf(buf, size, "%s",
				((const Vigil__V1__NetworkSnapshot *)element)
					->cidr);
	case VG_SBX_SYSTEM:
	default:
		return snprintf(buf, size, "system");
	}
}

static void
push_special(lua_State *L, struct vg_sbx *sbx, enum vg_sbx_kind kind,
	     const void *element, enum special which)
{
	const Vigil__V1__FlowEvent *fe = element;
	const Vigil__V1__HostSnapshot *hs = element;
	char buf[128];

	switch (which) {
	case S_HOOK:
		lua_pushstring(L, sbx->run_hook);
		return;
	case S_ID:
		snprintf(buf, sizeof(buf), "%" PRIu64, fe->flow_id);
		lua_pushstring(L, buf);
		return;
	case S_L4: {
		const char *name = l4_name(fe->l4_proto);

		if (name != NULL)
			lua_pushstring(L, name);
		else
			lua_pushfstring(L, "%d", (int)fe->l4_proto);
		return;
	}
	case S_PACKETS:
		lua_pushnumber(L, (lua_Number)(fe->c2s_packets +
					       fe->s2c_packets));
		return;
	case S_BYTES:
		lua_pushnumber(L, (lua_Number)(fe->c2s_bytes + fe->s2c_bytes));
		return;
	case S_TCP_FLAGS:
		lua_pushnumber(L, fe->c2s_tcp_flags | fe->s2c_tcp_flags);
		return;
	case S_DURATION:
		lua_pushnumber(L, fe->last_seen_us >= fe->first_seen_us ?
					  (fe->last_seen_us -
					   fe->first_seen_us) / 1e6 :
					  0);
		return;
	case S_KEY:
		vg_sbx_entity_value(kind, element, buf, sizeof(buf));
		lua_pushstring(L, buf);
		return;
	case S_HOST_BYTES:
		lua_pushnumber(L, (lua_Number)(hs->bytes_sent +
					       hs->bytes_rcvd));
		return;
	case S_PLUGINS_DISABLED: {
		size_t i;

		/* vigild's supervisor restarts a sandbox with --disable for
		 * the plugins it left out, so the list is the sandbox's own. */
		lua_createtable(L, (int)sbx->opt.n_disable, 0);
		for (i = 0; i < sbx->opt.n_disable; i++) {
			lua_pushstring(L, sbx->opt.disable[i]);
			lua_rawseti(L, -2, (int)i + 1);
		}
		return;
	}
	}
	lua_pushnil(L);
}

static void
push_field(lua_State *L, struct vg_sbx *sbx, const struct vg_sbx_proxy *px,
	   const struct field *f)
{
	const char *base = px->element;
	char ip[INET6_ADDRSTRLEN];

	switch (f->type) {
	case F_U32:
		lua_pushnumber(L, *(const uint32_t *)(base + f->off));
		return;
	case F_U64:
		lua_pushnumber(L, (lua_Number) *
					  (const uint64_t *)(base + f->off));
		return;
	case F_BOOL:
		lua_pushboolean(L, *(const protobuf_c_boolean *)(base + f->off));
		return;
	case F_STR: {
		const char *s = *(const char *const *)(base + f->off);

		lua_pushstring(L, s ? s : "");
		return;
	}
	case F_IP:
		lua_pushstring(L, format_ip((const ProtobufCBinaryData *)(base +
									  f->off),
					    ip, sizeof(ip)));
		return;
	case F_TIME:
		lua_pushnumber(L, *(const uint64_t *)(base + f->off) / 1e6);
		return;
	case F_STRLIST: {
		size_t n = *(const size_t *)(base + f->off);
		char *const *items = *(char *const *const *)(base + f->off2);
		size_t i;

		lua_createtable(L, (int)n, 0);
		for (i = 0; i < n; i++) {
			lua_pushstring(L, items[i] ? items[i] : "");
			lua_rawseti(L, -2, (int)i + 1);
		}
		return;
	}
	case F_DOUBLE:
		lua_pushnumber(L, *(const double *)(base + f->off));
		return;
	case F_SPECIAL:
		push_special(L, sbx, px->kind, px->element, f->special);
		return;
	}
	lua_pushnil(L);
}

/* __index(object, name), upvalue 1: name -> field index or method. */
static int
proxy_index(lua_State *L)
{
	struct vg_sbx_proxy *px = lua_touserdata(L, 1);
	int idx;

	if (px == NULL)
		return luaL_error(L, "invalid object");
	lua_settop(L, 2);
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1));
	if (lua_isfunction(L, -1))
		return 1;
	if (!lua_isnumber(L, -1)) {
		const char *name = lua_tostring(L, 2);

		return luaL_error(L, "%s has no field '%s'",
				  vg_sbx_kind_name(px->kind),
				  name ? name : luaL_typename(L, 2));
	}
	if (px->element == NULL)
		return luaL_error(L, "this %s object is only valid inside the "
				     "hook it was passed to",
				  vg_sbx_kind_name(px->kind));
	idx = (int)lua_tointeger(L, -1);
	push_field(L, vg_sbx_state_plugin(L)->sbx, px,
		   &kind_fields[px->kind].fields[idx]);
	return 1;
}

static int
proxy_newindex(lua_State *L)
{
	struct vg_sbx_proxy *px = lua_touserdata(L, 1);

	return luaL_error(L, "%s objects are read-only",
			  px ? vg_sbx_kind_name(px->kind) : "element");
}

static int
proxy_tostring(lua_State *L)
{
	struct vg_sbx_proxy *px = lua_touserdata(L, 1);
	char buf[160];

	if (px == NULL || px->element == NULL) {
		lua_pushfstring(L, "%s (detached)",
				px ? vg_sbx_kind_name(px->kind) : "element");
		return 1;
	}
	vg_sbx_entity_value(px->kind, px->element, buf, sizeof(buf));
	lua_pushfstring(L, "%s %s", vg_sbx_kind_name(px->kind), buf);
	return 1;
}

/* Methods of each kind, registered by api.c through the method table. */
extern const luaL_Reg vg_sbx_flow_methods[];
extern const luaL_Reg vg_sbx_element_methods[];

static void
push_name_table(lua_State *L, enum vg_sbx_kind kind)
{
	const luaL_Reg *m = kind == VG_SBX_FLOW ? vg_sbx_flow_methods :
						  vg_sbx_element_methods;
	size_t i;

	lua_createtable(L, 0, (int)kind_fields[kind].count + 4);
	for (i = 0; i < kind_fields[kind].count; i++) {
		lua_pushinteger(L, (lua_Integer)i);
		lua_setfield(L, -2, kind_fields[kind].fields[i].name);
	}
	for (; m->name != NULL; m++) {
		lua_pushcfunction(L, m->func);
		lua_setfield(L, -2, m->name);
	}
}

int
vg_sbx_proxy_open(struct vg_sbx_plugin *plugin)
{
	lua_State *L = plugin->L;
	int kind;

	for (kind = 0; kind < VG_SBX_KINDS; kind++) {
		struct vg_sbx_proxy *px = lua_newuserdata(L, sizeof(*px));

		px->element = NULL;
		px->kind = (enum vg_sbx_kind)kind;
		lua_createtable(L, 0, 4);
		push_name_table(L, (enum vg_sbx_kind)kind);
		lua_pushcclosure(L, proxy_index, 1);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, proxy_newindex);
		lua_setfield(L, -2, "__newindex");
		lua_pushcfunction(L, proxy_tostring);
		lua_setfield(L, -2, "__tostring");
		/* getmetatable() returns this string, so plugin code never
		 * gets the metatable or its __index. */
		lua_pushstring(L, "locked");
		lua_setfield(L, -2, "__metatable");
		lua_setmetatable(L, -2);
		plugin->proxy[kind] = px;
		plugin->proxy_ref[kind] = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	return 0;
}

void
vg_sbx_proxy_set(struct vg_sbx_plugin *plugin, enum vg_sbx_kind kind,
		 const void *element)
{
	if (plugin->proxy[kind] != NULL)
		plugin->proxy[kind]->element = element;
}
