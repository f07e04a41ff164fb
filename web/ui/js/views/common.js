// Pieces several views share: flow and alert tables, error notes,
// aggregation of flows by application and category, and the timers that
// refresh a view.
import { breakable, breakableAddress, el, link, table } from '../dom.js';
import * as fmt from '../format.js';

// Alert details longer than this many characters are cut, with the whole
// object one click away.
const DETAILS_SHOWN = 60;

// A note for a failed request. vigild being down is not an error of the
// page: the banner gives the reason, and the note names what is missing.
export function errorNote(err) {
  if (err && err.code === 'vigild_unavailable') {
    return el('p', { class: 'muted', dataset: { unavailable: 'vigild' } },
      'Live data is unavailable while vigild is not answering.');
  }
  return el('p', { class: 'error' }, err.message || String(err));
}

export function hostLink(ip, vlan) {
  return link('/hosts/' + encodeURIComponent(ip), vlan ? { vlan } : null, ip);
}

// A host link for a narrow column. The address may wrap between IPv6
// groups, and the link's title contains the whole address.
export function hostLinkWrapping(ip, vlan) {
  const a = link('/hosts/' + encodeURIComponent(ip), vlan ? { vlan } : null,
    breakableAddress(ip));
  a.title = ip;
  return a;
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
  { label: 'Statuses', breaks: true },
];

export function flowTable(flows, sort) {
  return table(flowColumns, flowRows(flows), sort);
}

// A link to the host of a host alert's entity value, "IP@VLAN".
export function hostEntityLink(value) {
  const at = value.lastIndexOf('@');
  const ip = at > 0 ? value.slice(0, at) : value;
  const vlan = at > 0 ? value.slice(at + 1) : '';
  return el('span', null, hostLink(ip, vlan !== '0' ? vlan : null), vlan ? '@' + vlan : '');
}

function alertEntity(a) {
  if (a.entity === 'host' && a.entity_value) return hostEntityLink(a.entity_value);
  if (a.entity === 'flow' && a.client_ip) {
    return el('span', null, hostLink(a.client_ip, a.vlan), ' \u2192 ',
      hostLink(a.server_ip, a.vlan), ':', String(a.server_port));
  }
  return a.entity_value || '';
}

// Time of day (UTC) of epoch seconds <t>, with the full date in the title.
export function clock(t) {
  const full = fmt.time(t);
  return el('span', { title: full }, full.slice(11, 19));
}

// A table of <alerts>. <compact> keeps the columns that fit half a page:
// severity, type, entity and the time of day it was last seen.
export function alertTable(alerts, compact) {
  const sev = (a) => el('span', { class: 'sev-' + a.severity }, a.severity);
  if (compact) {
    return table([
      { label: 'Severity' }, { label: 'Type', breaks: true }, { label: 'Entity' },
      { label: 'Last seen (UTC)' },
    ], alerts.map((a) => [sev(a), breakable(a.type), alertEntity(a), clock(a.last_seen)]));
  }
  return table([
    { label: 'Severity' }, { label: 'Type' }, { label: 'Entity' },
    { label: 'Value' }, { label: 'Plugin' }, { label: 'Score', num: true },
    { label: 'Count', num: true }, { label: 'First seen' }, { label: 'Last seen' },
    { label: 'Details', details: true },
  ], alerts.map((a) => [
    sev(a), a.type, a.entity, alertEntity(a), a.plugin, String(a.score), String(a.count),
    fmt.time(a.first_seen), fmt.time(a.last_seen),
    detailsNode(a.details),
  ]));
}

// An alert's <details> object on one line, as name: value pairs with
// the values in JSON. A line longer than DETAILS_SHOWN characters is cut;
// its title is the whole line, and a click opens the object as indented
// JSON. Returns '' for no details.
export function detailsNode(details) {
  if (!details || Object.keys(details).length === 0) return '';
  const text = Object.entries(details).map(([k, v]) => k + ': ' + JSON.stringify(v))
    .join(', ');
  if (text.length <= DETAILS_SHOWN) return el('span', { class: 'json' }, text);
  return el('details', { class: 'json' },
    el('summary', { title: text }, text.slice(0, DETAILS_SHOWN) + '\u2026'),
    el('pre', null, JSON.stringify(details, null, 2)));
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

// The stop functions of the timers every() runs, so the router can stop
// all of them when it leaves a view, even one that did not return them.
const running = new Set();

// Runs <fn> now and every <ms> after the previous run ended; returns the
// stop function.
export function every(ms, fn) {
  let stopped = false;
  let timer = null;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    running.delete(stop);
  };
  const tick = async () => {
    if (stopped) return;
    try { await fn(); } catch (err) { /* the view shows its own errors */ }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  running.add(stop);
  tick();
  return stop;
}

// Stops every timer that every() started.
export function stopTimers() {
  for (const stop of [...running]) stop();
}
