// The hosts pages: the host list (#/hosts) with the API's filters,
// sorting and paging in the route's query, and one host
// (#/hosts/IP?vlan=N) with its counters, charts from its timeseries, its
// live flows and its engaged alerts. While vigild is down, one host's
// page still shows its engaged alerts (from the alert store) and its
// charts (from the timeseries files, up to the packet time storedEnd()
// finds) for IP@VLAN, VLAN 0 unless the route names one.
//
// Stable hooks for tests and scripts (ids unless noted):
//   hosts-filters  the filter form; inputs named ip, vlan, local
//   hosts-list     contains the table; data-state is loading, ready or error,
//                  data-refreshes counts the lists drawn
//   hosts-total    the API's `total` for the filters, digits only, or
//                  empty (its line hidden) when a failed request left no list
//   hosts-table    each body row has data-host="IP@VLAN", each cell
//                  data-field; sortable headers data-sort
//   hosts-pager    buttons data-page="prev" and "next", select name=limit
//   hosts-error    the last request's error, while it lasts
//   host-details   one host; data-state is loading, ready, error, or
//                  stored (vigild is down: alerts and charts only),
//                  data-host="IP@VLAN"
//   host-summary   the host's counters, each value cell with data-field
//   host-chart-traffic, host-chart-packets, host-chart-flows,
//   host-chart-score, host-chart-apps
//                  charts; data-points is the number of points drawn
//   host-charts-note  why there is no chart, when there is none (the
//                  charts are hidden then), or where stored charts end
//   host-flows     the host's live flows (rows data-flow-id)
//   host-flows-total  the number of its live flows, digits only
//   host-alerts    its engaged alerts
import { api, ApiError, query, vigildDown } from '../api.js';
import { el, clear, link, panel, table, kv } from '../dom.js';
import { lineChart } from '../chart.js';
import * as fmt from '../format.js';
import { aggregate, alertTable, errorNote, every, flowTable, hostLink } from './common.js';
import {
  readState, stateQuery, apiParams, sortBy, filterForm, pager, markTable, keepsList,
  showNoList,
} from './listing.js';
import {
  bytesChart, COLORS, fetchSeries, merge, perSecond, rangeOf, rangeSelect, seriesProblem,
  storedEnd, storedNote,
} from './series.js';

const REFRESH_MS = 5000;
const CHART_REFRESH_MS = 60000;
const DEFAULT_SORT = 'bytes';
const FILTERS = ['ip', 'vlan', 'local'];
const FLOWS_LIMIT = 100;

const COLUMNS = [
  { key: 'ip', label: 'Host' },
  { key: 'vlan', label: 'VLAN', num: true },
  { key: 'local', label: 'Local' },
  { key: 'bytes_sent', label: 'Sent', num: true, sort: 'bytes_sent' },
  { key: 'bytes_rcvd', label: 'Received', num: true, sort: 'bytes_rcvd' },
  { key: 'bytes', label: 'Bytes', num: true, sort: 'bytes' },
  { key: 'packets', label: 'Packets', num: true, sort: 'packets' },
  { key: 'active_flows', label: 'Active flows', num: true, sort: 'flows' },
  { key: 'total_flows', label: 'Flows seen', num: true, sort: 'total_flows' },
  { key: 'score', label: 'Score', num: true, sort: 'score' },
  { key: 'first_seen', label: 'First seen', sort: 'first_seen' },
  { key: 'last_seen', label: 'Last seen', sort: 'last_seen' },
];

function hostCells(h) {
  return [
    hostLink(h.ip, h.vlan),
    String(h.vlan),
    h.local ? 'yes' : 'no',
    fmt.bytes(h.bytes_sent),
    fmt.bytes(h.bytes_rcvd),
    fmt.bytes(h.bytes_sent + h.bytes_rcvd),
    fmt.count(h.packets_sent + h.packets_rcvd),
    fmt.count(h.active_flows_as_client + h.active_flows_as_server),
    fmt.count(h.total_flows_as_client + h.total_flows_as_server),
    fmt.count(h.score),
    fmt.time(h.first_seen),
    fmt.time(h.last_seen),
  ];
}

const NO_TRACKING = 'vigild keeps host counters only when plugins are configured.';

export function renderList(root, ctx) {
  const state = readState(ctx.query, FILTERS, DEFAULT_SORT);
  const go = (next) => ctx.setQuery(stateQuery(next, DEFAULT_SORT));

  const form = filterForm('hosts-filters', [
    { name: 'ip', label: 'Address', placeholder: 'IPv4 or IPv6 address' },
    { name: 'vlan', label: 'VLAN', type: 'number', min: 0, max: 4095 },
    { name: 'local', label: 'Local', type: 'select', options: [
      ['', 'any'], ['true', 'local only'], ['false', 'remote only']] },
  ], state.filters, (filters) => go(Object.assign({}, state, { filters, offset: 0 })));

  const total = el('span', { id: 'hosts-total' });
  const error = el('div', null);
  const pagerHolder = el('div', null);
  const list = el('div', { id: 'hosts-list', class: 'panel', dataset: { state: 'loading', refreshes: '0' } },
    el('p', { class: 'muted' }, 'Loading...'));
  const summary = el('p', { class: 'muted' }, total, ' hosts match, refreshed every ',
    String(REFRESH_MS / 1000), ' s. Hosts stay listed with their last counters after ' +
    'their flows end.');
  root.append(el('h1', null, 'Hosts'), form, summary, error, pagerHolder, list);

  const sort = { key: state.sort, order: state.order, onsort: (key) => go(sortBy(state, key)) };
  let refreshes = 0;

  const refresh = async () => {
    let doc;
    try {
      doc = await api('/hosts' + query(apiParams(state)));
    } catch (err) {
      list.dataset.state = 'error';
      const note = errorNote(err);
      note.id = 'hosts-error';
      if (err instanceof ApiError && err.code === 'invalid_parameter' && err.doc.parameter) {
        note.prepend('Filter ' + err.doc.parameter + ': ');
      }
      clear(error).appendChild(note);
      if (keepsList(err, refreshes > 0)) return;
      total.textContent = '';
      delete total.dataset.total;
      showNoList(list, pagerHolder, summary, 'No hosts to show: the request failed.');
      return;
    }
    clear(error);
    refreshes += 1;
    total.textContent = String(doc.total);
    total.dataset.total = String(doc.total);
    summary.hidden = false;
    clear(pagerHolder).appendChild(pager('hosts-pager', state, doc.total,
      (page) => go(Object.assign({}, state, page))));
    if (!doc.host_tracking) {
      clear(list).appendChild(el('p', { class: 'muted' }, NO_TRACKING));
    } else {
      const t = table(COLUMNS, doc.hosts.map(hostCells), sort);
      t.id = 'hosts-table';
      markTable(t, COLUMNS.map((c) => c.key), 'host',
        doc.hosts.map((h) => h.ip + '@' + h.vlan));
      clear(list).appendChild(t);
      if (doc.hosts.length === 0) {
        list.appendChild(el('p', { class: 'muted' }, 'No host matches the filters.'));
      }
    }
    list.dataset.state = 'ready';
    list.dataset.refreshes = String(refreshes);
  };

  return every(REFRESH_MS, refresh);
}

// ---- one host ----

function summary(h) {
  const t = kv([
    ['Address', h.ip],
    ['IP version', String(h.ip_version)],
    ['VLAN', String(h.vlan)],
    ['Local', h.local ? 'yes (inside networks.local)' : 'no'],
    ['Bytes sent', fmt.bytes(h.bytes_sent)],
    ['Bytes received', fmt.bytes(h.bytes_rcvd)],
    ['Packets sent', fmt.count(h.packets_sent)],
    ['Packets received', fmt.count(h.packets_rcvd)],
    ['Active flows as client', fmt.count(h.active_flows_as_client)],
    ['Active flows as server', fmt.count(h.active_flows_as_server)],
    ['Flows seen as client', fmt.count(h.total_flows_as_client)],
    ['Flows seen as server', fmt.count(h.total_flows_as_server)],
    ['Score (sum over its active flows)', fmt.count(h.score)],
    ['First seen', fmt.time(h.first_seen)],
    ['Last seen', fmt.time(h.last_seen)],
  ]);
  const keys = ['ip', 'ip_version', 'vlan', 'local', 'bytes_sent', 'bytes_rcvd',
    'packets_sent', 'packets_rcvd', 'active_flows_as_client', 'active_flows_as_server',
    'total_flows_as_client', 'total_flows_as_server', 'score', 'first_seen', 'last_seen'];
  [...t.tBodies[0].rows].forEach((row, i) => { row.cells[1].dataset.field = keys[i]; });
  t.id = 'host-summary';
  return t;
}

// The charts of host:traffic. Bytes and packets are per-second rates of
// each minute (rrdtool ABSOLUTE), flows and score are values at the end
// of the minute.
const HOST_CHARTS = [
  { id: 'host-chart-traffic', title: 'Traffic', metrics: ['bytes_sent', 'bytes_rcvd'],
    labels: ['sent bit/s', 'received bit/s'], scale: 8, format: fmt.bits },
  { id: 'host-chart-packets', title: 'Packets', metrics: ['packets_sent', 'packets_rcvd'],
    labels: ['sent packets/s', 'received packets/s'], scale: 1, format: perSecond },
  { id: 'host-chart-flows', title: 'Active flows', metrics: ['flows_client', 'flows_server'],
    labels: ['as client', 'as server'], scale: 1, format: (v) => fmt.count(Math.round(v)) },
  { id: 'host-chart-score', title: 'Score', metrics: ['score'],
    labels: ['score'], scale: 1, format: (v) => fmt.count(Math.round(v)) },
];

// How many applications get their own line. The engine keeps four apart
// per host and minute and sums the rest as `_other`.
const HOST_APPS = 4;

const appLabel = (name) => (name === '_other' ? 'other applications' : name);

// The applications to chart among the host's host:app series in <series>
// (elements "IP@VLAN/NAME"): those of its largest live <flows> first,
// then the others by name, HOST_APPS in all, plus `_other`.
function appNames(series, element, flows) {
  const prefix = element + '/';
  const have = new Set(series.filter((x) => x.schema === 'host:app' &&
    x.element.startsWith(prefix)).map((x) => x.element.slice(prefix.length)));
  const live = aggregate(flows).apps.map((a) => a.name).filter((n) => have.has(n));
  const rest = [...have].filter((n) => n !== '_other' && !live.includes(n)).sort();
  const names = live.concat(rest).slice(0, HOST_APPS);
  if (have.has('_other')) names.push('_other');
  return names;
}

function chartsSection(holder, range, onrange) {
  const note = el('p', { class: 'muted', id: 'host-charts-note' });
  note.hidden = true;
  const boxes = HOST_CHARTS.map((c) => el('div', { id: c.id }));
  const appsBox = el('div', { id: 'host-chart-apps' });
  let appsChart = null;
  const grid = el('div', { class: 'grid' }, HOST_CHARTS.map((c, i) => el('div', null,
    el('h2', null, c.title), boxes[i])),
  el('div', null, el('h2', null, 'Applications (bit/s)'), appsBox));
  clear(holder).append(el('div', { class: 'pager' }, rangeSelect(range, onrange)), note, grid);
  const charts = HOST_CHARTS.map((c, i) => lineChart(boxes[i],
    c.labels.map((label, k) => ({ label, color: COLORS[k] })), { format: c.format }));
  return {
    // Draws host:traffic from <doc>; <text> is a note to keep above.
    show(doc, text) {
      note.textContent = text || '';
      note.hidden = !text;
      grid.hidden = false;
      HOST_CHARTS.forEach((c, i) => {
        const data = [merge([doc], c.metrics[0], c.scale)[0]];
        for (const m of c.metrics) data.push(merge([doc], m, c.scale)[1]);
        charts[i].setData(data);
      });
    },
    showApps(names, docs) {
      appsChart = bytesChart(appsBox, names, docs, appsChart, appLabel);
    },
    // Says why there is no chart, and hides the empty ones.
    fail(text) {
      note.textContent = text;
      note.hidden = false;
      grid.hidden = true;
    },
  };
}

export function renderOne(root, ctx) {
  const ip = ctx.args[0];
  const vlanParam = ctx.query.get('vlan');
  const range = rangeOf(ctx.query);
  const setRange = (r) => ctx.setQuery(Object.assign(
    vlanParam !== null ? { vlan: vlanParam } : {}, { range: r }));

  const title = el('h1', null, 'Host ', ip);
  const note = el('div', null);
  const vlans = el('p', { class: 'muted' });
  const box = el('div', { id: 'host-details', dataset: { state: 'loading' } },
    el('p', { class: 'muted' }, 'Loading...'));
  root.append(title, vlans, note, box);

  const summaryHolder = el('div', null);
  const links = el('p', null);
  const chartHolder = el('div', null);
  const flowsTotal = el('span', { id: 'host-flows-total' });
  const flows = el('div', { id: 'host-flows' });
  const alerts = el('div', { id: 'host-alerts' });
  let charts = null;
  let host = null;
  let seriesList = null;
  let lastFlows = [];
  // Set while the page shows stored data only: { end } of its charts, a
  // result of storedEnd().
  let stored = null;

  const loadCharts = async () => {
    if (!charts || seriesList === null) return;
    if (!host && !(stored && stored.end)) return;
    const end = host ? host.last_seen : stored.end.time;
    const s = seriesList.find((x) => x.schema === 'host:traffic');
    if (!s) {
      charts.fail(host && host.local
        ? 'No timeseries for this host yet: vigild writes one point a minute.'
        : 'No timeseries: vigild writes host series for local hosts only.');
      return;
    }
    try {
      charts.show(await fetchSeries(s.schema, s.element, end, range),
        stored ? storedNote(stored.end) : '');
    } catch (err) {
      charts.fail(stored && err instanceof ApiError && err.status === 404
        ? 'No timeseries are stored for this host: vigild writes host series for ' +
          'local hosts only.' : seriesProblem(err));
      return;
    }

    const names = appNames(seriesList, s.element, lastFlows);
    const docs = await Promise.all(names.map((n) => fetchSeries('host:app',
      s.element + '/' + n, end, range, ['bytes']).catch(() => null)));
    charts.showApps(names, docs);
  };

  // The page without vigild: the sections, filled from the alert store
  // and the timeseries files.
  const showStored = async () => {
    const vlan = vlanParam !== null && /^\d+$/.test(vlanParam) ? Number(vlanParam) : 0;
    const key = ip + '@' + vlan;
    stored = { end: null };
    layout({ ip, vlan });
    box.dataset.state = 'stored';
    const unavailable = new ApiError(503, { error: 'vigild_unavailable' });
    clear(summaryHolder).appendChild(errorNote(unavailable));
    clear(flows).appendChild(errorNote(unavailable));
    flowsTotal.parentElement.hidden = true;
    loadStoredAlerts(key);

    const end = await storedEnd('host:traffic', key);
    if (end === null) {
      charts.fail(storedNote(end));
      return;
    }
    stored.end = end;
    let apps = [];
    try {
      apps = (await api('/timeseries/series' + query({ schema: 'host:app', element: key })))
        .series;
    } catch (err) { /* the traffic read below says what is wrong */ }
    seriesList = [{ schema: 'host:traffic', element: key }].concat(apps);
    await loadCharts();
  };

  const loadStoredAlerts = async (key) => {
    try {
      const doc = await api('/alerts' + query({
        state: 'engaged', entity: 'host', entity_value: key, limit: 100,
      }));
      clear(alerts).appendChild(doc.alerts.length ? alertTable(doc.alerts, true)
        : el('p', { class: 'muted' }, 'No engaged alert.'));
    } catch (err) {
      clear(alerts).appendChild(err instanceof ApiError &&
        err.code === 'alert_store_unavailable'
        ? el('p', { class: 'muted' }, 'No alert store: ', err.message) : errorNote(err));
    }
  };

  const poll = async () => {
    let doc;
    try {
      doc = await api('/hosts/' + encodeURIComponent(ip) + query({
        vlan: vlanParam, flows_limit: FLOWS_LIMIT,
      }));
    } catch (err) {
      if (host === null && vigildDown()) {
        if (!stored) await showStored();
        return;
      }
      if (err instanceof ApiError && (err.status === 404 || err.status === 400)) {
        clear(box);
        box.dataset.state = 'error';
      } else if (!host) {
        box.dataset.state = 'error';
      }
      clear(note).appendChild(errorNote(err));
      return;
    }
    clear(note);
    if (host === null) layout(doc.host);
    host = doc.host;
    draw(doc);
    box.dataset.state = 'ready';
  };

  // Builds the page's sections once the host is known.
  const layout = (h) => {
    const key = h.ip + '@' + h.vlan;
    title.textContent = 'Host ' + h.ip + (h.vlan ? ' on VLAN ' + h.vlan : '');
    box.dataset.host = key;
    clear(links).append(
      link('/flows', { host: h.ip, vlan: h.vlan }, 'All its active flows'), ' \u00b7 ',
      link('/alerts', { state: 'engaged', entity: 'host', entity_value: key },
        'Engaged alerts'), ' \u00b7 ',
      link('/alerts', { state: 'past', entity: 'host', entity_value: key }, 'Past alerts'));
    clear(box).append(
      el('div', { class: 'grid' }, panel('Counters', summaryHolder, links),
        panel('Engaged alerts', alerts)),
      panel('Timeseries', chartHolder),
      panel('Active flows', el('p', { class: 'muted' }, flowsTotal,
        ' active flows; the ', String(FLOWS_LIMIT), ' largest are listed.'), flows));
    charts = chartsSection(chartHolder, range, setRange);
    loadOtherVlans(h);
  };

  // Fills the sections from one response of GET /hosts/{ip}.
  const draw = (doc) => {
    clear(summaryHolder).appendChild(summary(doc.host));
    flowsTotal.textContent = String(doc.flows_total);
    lastFlows = doc.flows;

    const t = flowTable(doc.flows);
    markTable(t, [], 'flowId', doc.flows.map((f) => f.id));
    clear(flows).appendChild(doc.flows.length ? t
      : el('p', { class: 'muted' }, 'No active flow.'));

    if (doc.alerts === null) {
      clear(alerts).appendChild(el('p', { class: 'muted' }, 'No alert store: ',
        doc.alerts_error || ''));
    } else {
      clear(alerts).appendChild(doc.alerts.length ? alertTable(doc.alerts, true)
        : el('p', { class: 'muted' }, 'No engaged alert.'));
    }

    const hadSeries = seriesList !== null;
    if (doc.series === null) {
      seriesList = [];
      charts.fail('No timeseries: ' + (doc.series_error || 'not configured'));
    } else {
      seriesList = doc.series;
      if (!hadSeries) loadCharts();
    }
  };

  // The other VLANs this address was seen on, as links.
  const loadOtherVlans = async (h) => {
    try {
      const doc = await api('/hosts' + query({ ip: h.ip, limit: 100 }));
      const others = doc.hosts.filter((x) => x.vlan !== h.vlan);
      if (others.length) {
        vlans.append('Also seen on VLAN ', others.map((x, i) => [i ? ', ' : null,
          link('/hosts/' + encodeURIComponent(x.ip), { vlan: x.vlan }, String(x.vlan))]), '.');
      }
    } catch (err) { /* only a convenience */ }
  };

  const stops = [every(REFRESH_MS, poll), every(CHART_REFRESH_MS, async () => {
    if (seriesList !== null) await loadCharts();
  })];
  return () => stops.forEach((s) => s());
}
