// Pieces several views share: flow and alert tables, error notes and
// aggregation of flows by application and category.
import { el, link, table } from '../dom.js';
import * as fmt from '../format.js';

export function errorNote(err) {
  return el('p', { class: 'error' }, err.message || String(err));
}

export function hostLink(ip, vlan) {
  return link('/hosts/' + encodeURIComponent(ip), vlan ? { vlan } : null, ip);
}

export function flowRows(flows) {
  return flows.map((f) => [
    link('/flows/' + f.id, null, f.l7 || '?'),
    f.l4,
    el('span', null, hostLink(f.client_ip, f.vlan), ':', String(f.client_port)),
    el('span', null, hostLink(f.server_ip, f.vlan), ':', String(f.server_port)),
    f.server_name,
    f.category,
    String(f.vlan),
    fmt.bytes(f.c2s_bytes + f.s2c_bytes),
    fmt.count(f.c2s_packets + f.s2c_packets),
    fmt.duration(f.duration),
    String(f.score),
    f.statuses.join(', '),
  ]);
}

export const flowColumns = [
  { label: 'Application', sort: null },
  { label: 'L4' },
  { label: 'Client' },
  { label: 'Server' },
  { label: 'Server name', wrap: true },
  { label: 'Category' },
  { label: 'VLAN', num: true },
  { label: 'Bytes', num: true, sort: 'bytes' },
  { label: 'Packets', num: true, sort: 'packets' },
  { label: 'Duration', num: true, sort: 'duration' },
  { label: 'Score', num: true, sort: 'score' },
  { label: 'Statuses', wrap: true },
];

export function flowTable(flows, sort) {
  return table(flowColumns, flowRows(flows), sort);
}

function alertEntity(a) {
  if (a.entity === 'host') return hostLink(a.entity_value);
  if (a.entity === 'flow' && a.client_ip) {
    return el('span', null, hostLink(a.client_ip, a.vlan), ' \u2192 ',
      hostLink(a.server_ip, a.vlan), ':', String(a.server_port));
  }
  return a.entity_value || '';
}

export function alertTable(alerts) {
  return table([
    { label: 'Severity' }, { label: 'Type' }, { label: 'Entity' },
    { label: 'Value', wrap: true }, { label: 'Plugin' }, { label: 'Score', num: true },
    { label: 'Count', num: true }, { label: 'First seen' }, { label: 'Last seen' },
    { label: 'Details', wrap: true },
  ], alerts.map((a) => [
    el('span', { class: 'sev-' + a.severity }, a.severity),
    a.type, a.entity, alertEntity(a), a.plugin, String(a.score), String(a.count),
    fmt.time(a.first_seen), fmt.time(a.last_seen),
    a.details && Object.keys(a.details).length ? JSON.stringify(a.details) : '',
  ]));
}

// Sums bytes by application (l7_app, else l7) and by category.
// NOTE: vigil-web has no aggregate endpoint, so this covers the flows the
// caller fetched (the 1000 largest), not every active flow.
export function aggregate(flows) {
  const apps = new Map();
  const cats = new Map();
  for (const f of flows) {
    const b = f.c2s_bytes + f.s2c_bytes;
    const app = f.l7_app || f.l7_master || f.l7 || 'Unknown';
    const master = f.l7_app ? f.l7_app : (f.l7_master || f.l7 || 'Unknown');
    const a = apps.get(app) || { name: app, filter: master, bytes: 0, flows: 0 };
    a.bytes += b; a.flows += 1; apps.set(app, a);
    const cat = f.category || 'Unspecified';
    const c = cats.get(cat) || { name: cat, bytes: 0, flows: 0 };
    c.bytes += b; c.flows += 1; cats.set(cat, c);
  }
  const order = (m) => [...m.values()].sort((x, y) => y.bytes - x.bytes);
  return { apps: order(apps), categories: order(cats) };
}

export function breakdownTable(items, param) {
  return table([{ label: param === 'l7' ? 'Application' : 'Category' },
    { label: 'Flows', num: true }, { label: 'Bytes', num: true }],
  items.map((x) => [link('/flows', { [param]: param === 'l7' ? x.filter : x.name },
    x.name), fmt.count(x.flows), fmt.bytes(x.bytes)]));
}

// Runs <fn> now and every <ms>; returns the stop function.
export function every(ms, fn) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    try { await fn(); } catch (err) { /* the view shows its own errors */ }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}
