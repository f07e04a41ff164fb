// The flows pages: the live flow list (#/flows) with the API's filters,
// sorting and paging kept in the route's query, and one flow
// (#/flows/ID) with every field vigild reports for it.
//
// Stable hooks for tests and scripts (ids unless noted):
//   flows-filters  the filter form; its inputs are named as the API's
//                  parameters (host, l4, l7, category, status, vlan, port)
//   flows-live     checkbox; unchecked pauses the refresh
//   flows-list     contains the table; data-state is loading, ready or error,
//                  data-refreshes counts the lists drawn
//   flows-total    the API's `total` for the filters, digits only, or
//                  empty (its line hidden) when a failed request left no list
//   flows-table    the table; each body row has data-flow-id, each cell
//                  data-field (the column key below), sortable headers
//                  data-sort (the API's sort key) and class sorted-asc or
//                  sorted-desc on the current one
//   flows-pager    buttons data-page="prev" and "next", select name=limit
//   flows-error    the last request's error, while it lasts
//   flow-details   one flow; data-state is loading, ready, ended or
//                  error, data-flow-id the id
//   flow-score, flow-statuses, flow-risks, flow-alerts, and flow-fields:
//                  every member of the flow, one row each, the cell
//                  carrying data-field with the member's name
//
// Text from traffic (server names, JA3, statuses) reaches the page only
// through el() and textContent.
import { api, ApiError, query } from '../api.js';
import { breakable, el, clear, link, panel, table, kv } from '../dom.js';
import * as fmt from '../format.js';
import { alertTable, clock, errorNote, every, hostLink } from './common.js';
import {
  readState, stateQuery, apiParams, sortBy, filterForm, pager, markTable, keepsList,
  showNoList,
} from './listing.js';

const REFRESH_MS = 3000;
const DETAILS_REFRESH_MS = 5000;
const ALERTS_REFRESH_MS = 30000;
const DEFAULT_SORT = 'bytes';
const FILTERS = ['host', 'l4', 'l7', 'category', 'status', 'vlan', 'port'];

const COLUMNS = [
  { key: 'l7', label: 'Application' },
  { key: 'l4', label: 'L4' },
  { key: 'client', label: 'Client' },
  { key: 'server', label: 'Server' },
  { key: 'server_name', label: 'Server name', wrap: true },
  { key: 'category', label: 'Category' },
  { key: 'vlan', label: 'VLAN', num: true },
  { key: 'bytes', label: 'Bytes', num: true, sort: 'bytes' },
  // A no-break space keeps the arrow on its first word's line.
  { key: 'c2s_bytes', label: 'Client\u00a0\u2192 server', num: true, sort: 'c2s_bytes' },
  { key: 's2c_bytes', label: 'Server\u00a0\u2192 client', num: true, sort: 's2c_bytes' },
  { key: 'packets', label: 'Packets', num: true, sort: 'packets' },
  { key: 'first_seen', label: 'First seen', sort: 'first_seen' },
  { key: 'last_seen', label: 'Last seen', sort: 'last_seen' },
  { key: 'duration', label: 'Duration', num: true, sort: 'duration' },
  { key: 'rtt', label: 'RTT', num: true, sort: 'rtt' },
  { key: 'retransmissions', label: 'Retrans.', title: 'TCP retransmissions', num: true,
    sort: 'retransmissions' },
  { key: 'score', label: 'Score', num: true, sort: 'score' },
  { key: 'statuses', label: 'Statuses', breaks: true },
];

function rtt(us) {
  if (!us) return '';
  return us < 1000 ? us + ' \u00b5s' : (us / 1000).toFixed(1) + ' ms';
}

// An endpoint as a link to its host, with the port when the protocol has
// ports; IPv6 addresses in brackets.
function endpointNode(ip, port, vlan, withPort) {
  const host = hostLink(ip, vlan);
  if (!withPort) return el('span', null, host);
  return ip.includes(':') ? el('span', null, '[', host, ']:', String(port))
    : el('span', null, host, ':', String(port));
}

function hasPorts(f) {
  return f.l4 === 'TCP' || f.l4 === 'UDP' || f.client_port !== 0 || f.server_port !== 0;
}

function statusLinks(statuses) {
  return statuses.map((s, i) => [i > 0 ? ', ' : null, link('/flows', { status: s },
    breakable(s))]);
}

function flowCells(f) {
  const ports = hasPorts(f);
  return [
    link('/flows/' + f.id, null, f.l7 || 'Unknown'),
    f.l4,
    endpointNode(f.client_ip, f.client_port, f.vlan, ports),
    endpointNode(f.server_ip, f.server_port, f.vlan, ports),
    f.server_name,
    f.category,
    String(f.vlan),
    fmt.bytes(f.c2s_bytes + f.s2c_bytes),
    fmt.bytes(f.c2s_bytes),
    fmt.bytes(f.s2c_bytes),
    fmt.count(f.c2s_packets + f.s2c_packets),
    clock(f.first_seen),
    clock(f.last_seen),
    fmt.duration(f.duration),
    rtt(f.rtt_us),
    fmt.count(f.retransmissions),
    String(f.score),
    statusLinks(f.statuses),
  ];
}

// Names for the filters' suggestion lists, from the largest live flows.
async function suggestions() {
  const doc = await api('/flows?sort=bytes&limit=1000');
  const l7 = new Set();
  const categories = new Set();
  const statuses = new Set();
  for (const f of doc.flows) {
    for (const name of [f.l7_master, f.l7_app]) if (name && name !== 'Unknown') l7.add(name);
    if (f.category) categories.add(f.category);
    for (const s of f.statuses) statuses.add(s);
  }
  const sorted = (set) => [...set].sort((a, b) => a.localeCompare(b));
  return { l7: sorted(l7), category: sorted(categories), status: sorted(statuses) };
}

function fillDatalist(id, values) {
  const list = document.getElementById(id);
  if (!list) return;
  clear(list);
  for (const v of values) list.appendChild(el('option', { value: v }));
}

export function renderList(root, ctx) {
  const state = readState(ctx.query, FILTERS, DEFAULT_SORT);
  const go = (next) => ctx.setQuery(stateQuery(next, DEFAULT_SORT));

  const form = filterForm('flows-filters', [
    { name: 'host', label: 'Host', placeholder: 'IPv4 or IPv6 address' },
    { name: 'l4', label: 'L4', placeholder: 'tcp, udp, 47', suggestions: ['tcp', 'udp', 'icmp', 'icmpv6'] },
    { name: 'l7', label: 'L7 protocol', placeholder: 'TLS, DNS', suggestions: [] },
    { name: 'category', label: 'Category', placeholder: 'Web', suggestions: [] },
    { name: 'status', label: 'Status', placeholder: 'status key', suggestions: [] },
    { name: 'vlan', label: 'VLAN', type: 'number', min: 0, max: 4095 },
    { name: 'port', label: 'Port', type: 'number', min: 0, max: 65535 },
  ], state.filters, (filters) => go(Object.assign({}, state, { filters, offset: 0 })));

  const live = el('input', { type: 'checkbox', id: 'flows-live', checked: true });
  const total = el('span', { id: 'flows-total' });
  const summary = el('p', { class: 'muted' }, total, ' active flows match');
  const error = el('div', null);
  const list = el('div', { id: 'flows-list', class: 'panel', dataset: { state: 'loading', refreshes: '0' } },
    el('p', { class: 'muted' }, 'Loading...'));
  const pagerHolder = el('div', null);

  root.append(el('h1', null, 'Flows'), form,
    el('div', { class: 'pager' }, summary,
      el('label', null, live, ' Live (every ', String(REFRESH_MS / 1000), ' s)')),
    error, pagerHolder, list);

  suggestions().then((s) => {
    fillDatalist('flows-filters-l7-list', s.l7);
    fillDatalist('flows-filters-category-list', s.category);
    fillDatalist('flows-filters-status-list', s.status);
  }).catch(() => { /* the list shows the error */ });

  const sort = { key: state.sort, order: state.order, onsort: (key) => go(sortBy(state, key)) };
  let refreshes = 0;

  const showError = (err) => {
    list.dataset.state = 'error';
    const where = err instanceof ApiError && err.code === 'invalid_parameter' && err.doc.parameter
      ? 'Filter ' + err.doc.parameter + ': ' : '';
    const note = errorNote(err);
    note.id = 'flows-error';
    note.prepend(where);
    clear(error).appendChild(note);
    if (keepsList(err, refreshes > 0)) return;
    total.textContent = '';
    delete total.dataset.total;
    showNoList(list, pagerHolder, summary, 'No flows to show: the request failed.');
  };

  const refresh = async () => {
    if (!live.checked && refreshes > 0) return;
    let doc;
    try {
      doc = await api('/flows' + query(apiParams(state)));
    } catch (err) {
      showError(err);
      return;
    }
    clear(error);
    refreshes += 1;
    total.textContent = String(doc.total);
    total.dataset.total = String(doc.total);
    summary.hidden = false;
    clear(pagerHolder).appendChild(pager('flows-pager', state, doc.total,
      (page) => go(Object.assign({}, state, page))));
    const t = table(COLUMNS, doc.flows.map(flowCells), sort);
    t.id = 'flows-table';
    t.classList.add('dense');
    markTable(t, COLUMNS.map((c) => c.key), 'flowId', doc.flows.map((f) => f.id));
    clear(list).appendChild(t);
    if (doc.flows.length === 0) {
      list.appendChild(el('p', { class: 'muted' }, doc.total > 0
        ? 'No flow on this page: the list is shorter than the offset. '
        : 'No active flow matches the filters.',
      doc.total > 0 ? el('button', { type: 'button',
        onclick: () => go(Object.assign({}, state, { offset: 0 })) }, 'First page') : null));
    }
    list.dataset.state = 'ready';
    list.dataset.refreshes = String(refreshes);
  };

  return every(REFRESH_MS, refresh);
}

// ---- one flow ----

function yesNo(v) {
  return v ? 'yes' : 'no';
}

function endpointsPanel(f) {
  const ports = hasPorts(f);
  return panel('Endpoints', kv([
    ['Client', endpointNode(f.client_ip, f.client_port, f.vlan, ports)],
    ['Server', endpointNode(f.server_ip, f.server_port, f.vlan, ports)],
    ['Server name', f.server_name || ''],
    ['VLAN', String(f.vlan)],
    ['Protocol', f.l4 + ' over IPv' + f.ip_version],
    ['Swapped', f.swapped
      ? 'yes: the first packet seen came from the server, so vigild turned the flow around'
      : 'no'],
    ['Engine lcore', String(f.engine)],
  ]));
}

function detectionPanel(f) {
  const named = (v) => (v && v !== 'Unknown' ? link('/flows', { l7: v }, v) : v || '');
  return panel('Detection', kv([
    ['Application', f.l7],
    ['Master protocol', named(f.l7_master)],
    ['Application protocol', named(f.l7_app)],
    ['Category', f.category ? link('/flows', { category: f.category }, f.category) : ''],
    ['Confidence', f.confidence],
    ['Detection done', yesNo(f.detection_done)],
    ['JA3 (client)', f.ja3_client || 'none seen'],
  ]));
}

function trafficPanel(f) {
  const tcp = f.l4 === 'TCP';
  const directions = table([
    { label: 'Direction' }, { label: 'Packets', num: true }, { label: 'Bytes', num: true },
    { label: 'TCP flags' },
  ], [
    ['Client \u2192 server', fmt.count(f.c2s_packets), fmt.bytes(f.c2s_bytes),
      tcp ? f.c2s_tcp_flags : ''],
    ['Server \u2192 client', fmt.count(f.s2c_packets), fmt.bytes(f.s2c_bytes),
      tcp ? f.s2c_tcp_flags : ''],
    ['Both', fmt.count(f.c2s_packets + f.s2c_packets), fmt.bytes(f.c2s_bytes + f.s2c_bytes),
      f.tcp_flags],
  ]);
  directions.id = 'flow-traffic';
  return panel('Traffic', directions, kv([
    ['First seen', fmt.time(f.first_seen)],
    ['Last seen', fmt.time(f.last_seen)],
    ['Duration', fmt.duration(f.duration)],
    ['Handshake RTT', tcp ? rtt(f.rtt_us) || 'not measured' : 'not TCP'],
    ['Retransmissions', fmt.count(f.retransmissions)],
    ['Out of order', fmt.count(f.out_of_order)],
    ['Zero windows', fmt.count(f.zero_windows)],
  ]));
}

function scorePanel(f) {
  const statuses = el('ul', { id: 'flow-statuses' }, f.statuses.map((s) =>
    el('li', { dataset: { status: s } }, link('/flows', { status: s }, s))));
  const risks = el('ul', { id: 'flow-risks' }, f.risks.map((r) =>
    el('li', null, r)));
  return panel('Score, statuses and risks',
    el('p', null, 'Score: ', el('strong', { id: 'flow-score' }, String(f.score))),
    el('h2', null, 'Statuses set by plugins'),
    f.statuses.length ? statuses : [statuses, el('p', { class: 'muted' }, 'None.')],
    el('h2', null, 'Risks found by nDPI'),
    f.risks.length ? risks : [risks, el('p', { class: 'muted' }, 'None.')]);
}

function fieldText(v) {
  if (Array.isArray(v)) return v.join(', ');
  if (v === null || v === undefined) return '';
  return String(v);
}

// Every member of the flow as the API returned it, including members
// that this page does not know yet.
function fieldsPanel(f) {
  const t = kv(Object.entries(f).map(([k, v]) => [k, fieldText(v)]));
  t.id = 'flow-fields';
  for (const row of t.tBodies[0].rows) row.cells[1].dataset.field = row.cells[0].textContent;
  return panel('All fields', t);
}

// The alert store's key of a flow: "client:port-server:port@vlan", IPv6
// in brackets.
function flowEntityValue(f) {
  return fmt.endpoint(f.client_ip, f.client_port) + '-' +
    fmt.endpoint(f.server_ip, f.server_port) + '@' + f.vlan;
}

// Shows the alerts of flow <f> in <holder>. Returns false when there is
// no alert store, so the caller stops asking.
async function loadAlerts(holder, f) {
  let doc;
  try {
    doc = await api('/alerts' + query({
      state: 'flow', entity: 'flow', entity_value: flowEntityValue(f), limit: 100,
    }));
  } catch (err) {
    const noStore = err instanceof ApiError && err.code === 'alert_store_unavailable';
    clear(holder).appendChild(noStore
      ? el('p', { class: 'muted' }, 'No alert store: ', err.message) : errorNote(err));
    return !noStore;
  }
  // An earlier flow with the same endpoints has the same key; flow ids are
  // decimal strings, as in the flows API.
  const mine = doc.alerts.filter((a) => a.flow_id === undefined || a.flow_id === f.id);
  clear(holder).appendChild(mine.length ? alertTable(mine)
    : el('p', { class: 'muted' }, 'No alert was raised for this flow.'));
  return true;
}

export function renderOne(root, ctx) {
  const id = ctx.args[0];
  const box = el('div', { id: 'flow-details', dataset: { state: 'loading', flowId: id } },
    el('p', { class: 'muted' }, 'Loading...'));
  const title = el('h1', null, 'Flow ', id);
  const note = el('div', null);
  const alerts = el('div', { id: 'flow-alerts' }, el('p', { class: 'muted' }, 'Loading...'));
  const alertsPanel = panel('Alerts of this flow', alerts);
  root.append(title, note, box);

  let last = null;
  let stopped = false;
  let stop = () => {};

  const poll = async () => {
    let doc;
    try {
      doc = await api('/flows/' + encodeURIComponent(id));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        box.dataset.state = 'ended';
        clear(note).appendChild(el('p', { class: 'error' }, last
          ? 'This flow has ended; the values below are the last ones read. '
          : 'No active flow has this id: it has ended, or it never existed. ',
        'Ended flows are in the flow records file. ', link('/flows', null, 'Active flows')));
        if (!last) clear(box);
        stopped = true;
        stop();
        return;
      }
      box.dataset.state = last ? box.dataset.state : 'error';
      clear(note).appendChild(errorNote(err));
      return;
    }
    clear(note);
    const f = doc.flow;
    const firstDraw = last === null;
    last = f;
    title.textContent = 'Flow ' + (f.l7 || 'Unknown') + ' ';
    title.appendChild(el('span', { class: 'muted' }, fmt.endpoint(f.client_ip, f.client_port),
      ' \u2192 ', fmt.endpoint(f.server_ip, f.server_port)));
    clear(box).append(
      el('div', { class: 'grid' }, endpointsPanel(f), detectionPanel(f)),
      el('div', { class: 'grid' }, trafficPanel(f), scorePanel(f)),
      alertsPanel, fieldsPanel(f));
    box.dataset.state = 'ready';
    if (firstDraw) alertStore = await loadAlerts(alerts, f);
  };

  let alertStore = true;
  stop = every(DETAILS_REFRESH_MS, poll);
  const stopAlerts = every(ALERTS_REFRESH_MS, async () => {
    if (last && !stopped && alertStore) alertStore = await loadAlerts(alerts, last);
  });
  return () => { stop(); stopAlerts(); };
}
