/*
 * Symmetric flow hash: both directions of a flow hash to the same value, so
 * the rx lcores send both to one engine lcore and the engine's flow table
 * finds them in one bucket.
 */
#ifndef VG_HASH_H
#define VG_HASH_H

#include <stdint.h>

struct vg_pkt;

/*
 * Returns the hash of the flow <pkt> belongs to: VLAN, L4 protocol and the
 * two (address, port) endpoints taken in a canonical order. The value is
 * the same for a packet and its reply. NOTE: words are loaded in host byte
 * order, so a big-endian CPU computes other values (x86-64 and arm64 agree).
 */
uint32_t
vg_flow_hash(const struct vg_pkt *pkt);

/*
 * Returns a symmetric hash of the two addresses and the VLAN of <pkt>,
 * without ports or protocol. The rx lcores pick the engine lcore with it,
 * so every flow between two hosts meets the same nDPI module: nDPI keeps
 * per-module caches across flows (STUN, TLS certificates, Ookla and
 * others), and splitting a host pair across modules would make a flow's
 * protocol depend on the number of engine lcores.
 */
uint32_t
vg_pair_hash(const struct vg_pkt *pkt);

/* Returns a 64-bit hash of <len> bytes at <data> with <seed>. */
uint64_t
vg_hash_bytes(const void *data, uint32_t len, uint64_t seed);

#endif
