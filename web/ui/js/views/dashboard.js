// The dashboard: live throughput, drop counters, top hosts, top
// applications and categories, engaged alerts and the interfaces.
//
// vigil-web reads the alert store and the timeseries files itself, so the
// engaged alerts and the hour of interface history still show while
// vigild is down. The history then ends at the packet time that
// storedEnd() finds.
import { api, ApiError, vigildDown } from '../api.js';
import { recall } from '../lastknown.js';
import { el, clear, panel, table, link } from '../dom.js';
import { lineChart } from '../chart.js';
import * as fmt from '../format.js';
import {
  aggregate, breakdownTable, alertTable, errorNote, every, hostLinkWrapping,
} from './common.js';
import {
  bytesChart, seriesProblem, storedEnd, storedInterfaces, storedNote,
} from './series.js';

const POINTS_MAX = 180;
const COUNTERS_MS = 2000;
const TABLES_MS = 10000;
const ALERTS_MS = 10000;
const HISTORY_MS = 60000;

// Counters that mean something was lost or refused, by section.
const DROPS = [
  'ring_full', 'oversize', 'copy_nombuf', 'after_damage', 'flows_table_full',
  'ndpi_pool_empty', 'records_dropped', 'late_statuses', 'statuses_full',
];
const PLUGIN_DROPS = [
  'event_batches_dropped', 'events_dropped', 'statuses_dropped',
  'control_dropped', 'deadline_kills', 'heartbeat_kills', 'load_kills',
  'teardown_kills', 'hooks_skipped', 'plugins_disabled', 'plugin_errors',
];

// A grid of [name, value] counters. With <highlight>, a non-zero value
// is shown as a problem: only drop and error counters use it.
function counterList(pairs, highlight) {
  return el('div', { class: 'counters' }, pairs.map(([name, value]) =>
    el('div', { class: 'counter' + (highlight && value > 0 ? ' nonzero' : ''),
      dataset: { counter: name } },
    el('span', { class: 'name' }, name), el('span', { class: 'value' }, fmt.count(value)))));
}

function dropPairs(doc) {
  const c = doc.counters;
  const pairs = DROPS.filter((k) => k in c).map((k) => [k, c[k]]);
  const parse = Object.values(c.parse_errors || {}).reduce((s, v) => s + v, 0);
  pairs.push(['parse_errors (all)', parse]);
  for (const port of doc.interfaces) {
    pairs.push([port.name + ' imissed', port.imissed]);
    pairs.push([port.name + ' ierrors', port.ierrors]);
    pairs.push([port.name + ' rx_nombuf', port.rx_nombuf]);
  }
  if (c.plugins) {
    for (const k of PLUGIN_DROPS) if (k in c.plugins) pairs.push(['plugins ' + k, c.plugins[k]]);
  }
  return pairs;
}

// The latest of the ends that storedEnd() found for each port, or null
// when it found none.
function latestEnd(ends) {
  const found = ends.filter((e) => e !== null);
  if (found.length === 0) return null;
  return found.reduce((a, b) => (b.time > a.time ? b : a));
}

function topHostsTable(h) {
  if (!h.host_tracking) {
    return el('p', { class: 'muted' }, 'vigild keeps host counters only when plugins are configured.');
  }
  // A long IPv6 address wraps between its groups, and the table uses the
  // smaller font of dense lists, so the panel keeps every column in view
  // down to a phone's width.
  const t = table(
    [{ label: 'Host', breaks: true }, { label: 'VLAN', num: true }, { label: 'Sent', num: true },
      { label: 'Received', num: true }, { label: 'Active flows', num: true }],
    h.hosts.map((x) => [hostLinkWrapping(x.ip, x.vlan), String(x.vlan), fmt.bytes(x.bytes_sent),
      fmt.bytes(x.bytes_rcvd), fmt.count(x.active_flows_as_client + x.active_flows_as_server)]));
  t.classList.add('dense');
  return t;
}

export function render(root) {
  const chartBox = el('div', { id: 'throughput-chart' });
  const rate = el('p', { class: 'muted', id: 'throughput-now' }, 'Waiting for counters...');
  const drops = el('div', null);
  const dropsTitle = el('h2', null, 'Drops and errors');
  const summary = el('div', null);
  const topHosts = el('div', null, 'Loading...');
  const apps = el('div', null, 'Loading...');
  const cats = el('div', null, 'Loading...');
  const engaged = el('div', { id: 'dashboard-engaged' }, 'Loading...');
  const ifaces = el('div', null);
  const history = el('div', { id: 'history-chart' });
  const historyNote = el('p', { class: 'muted', id: 'history-note' });
  historyNote.hidden = true;
  const historyPanel = panel('Last hour of the interface timeseries', historyNote, history);
  historyPanel.hidden = true;

  root.append(el('h1', null, 'Dashboard'),
    el('div', { class: 'grid' },
      panel('Throughput (live, from interface counters)', chartBox, rate),
      panel('Capture', summary, dropsTitle, drops)),
    historyPanel,
    el('div', { class: 'grid' },
      panel('Top hosts', topHosts),
      panel('Engaged alerts', engaged),
      panel('Top applications', apps),
      panel('Top categories', cats),
      panel('Interfaces', ifaces)));

  const chart = lineChart(chartBox, [{ label: 'bit/s', color: '#1f5fbf' }],
    { format: fmt.bits, live: true });
  const xs = [];
  const ys = [];
  let last = null;
  let latest = null;         // the latest response of GET /interfaces
  let historyChart = null;
  let historyTried = false;  // a history read ran, or is running

  const pollCounters = async () => {
    let doc;
    try {
      doc = await api('/interfaces');
    } catch (err) {
      clear(summary).appendChild(errorNote(err));
      rate.textContent = 'No current rate: the counters are unavailable.';
      last = null;

      if (vigildDown()) {
        latest = null;
        dropsTitle.hidden = true;
        clear(drops);
        clear(ifaces).appendChild(errorNote(err));
        if (!historyTried) loadHistory();
      }
      return;
    }
    latest = doc;
    dropsTitle.hidden = false;

    const now = performance.now() / 1000;
    const total = doc.interfaces.reduce((s, p) => s + p.ibytes, 0) ||
      doc.counters.rx_bytes || 0;
    if (last && now > last.t && total >= last.bytes) {
      xs.push(Date.now() / 1000);
      ys.push(((total - last.bytes) * 8) / (now - last.t));
      if (xs.length > POINTS_MAX) { xs.shift(); ys.shift(); }
      // One point makes no line: the chart starts with the second.
      if (xs.length >= 2) chart.setData([xs.slice(), ys.slice()]);
      rate.textContent = 'Now: ' + fmt.bits(ys[ys.length - 1]);
    }
    last = { t: now, bytes: total };

    clear(summary).appendChild(counterList([
      ['active_flows', doc.counters.active_flows],
      ['rx_packets', doc.counters.rx_packets],
      ['rx_bytes', doc.counters.rx_bytes],
      ['flows_created', doc.counters.flows_created],
    ], false));
    summary.appendChild(el('p', { class: 'muted' }, 'vigild ', doc.version,
      ', up ', fmt.duration(doc.uptime), ', packet time ', fmt.time(doc.packet_time)));
    clear(drops).appendChild(counterList(dropPairs(doc), true));
    clear(ifaces).appendChild(table(
      [{ label: 'Interface' }, { label: 'Packets', num: true }, { label: 'Bytes', num: true },
        { label: 'Missed', num: true }],
      doc.interfaces.map((p) => [link('/interfaces/' + encodeURIComponent(p.name), null, p.name),
        fmt.count(p.ipackets), fmt.bytes(p.ibytes), fmt.count(p.imissed)])));
    if (!historyTried && doc.interfaces.length > 0) loadHistory();
  };

  // The hour of the ports' per-minute traffic series up to the packet
  // time vigild reports or, while it is down, up to where the stored
  // series end (the latest end of any port). vigild writes
  // interface:traffic per port only, so the chart draws one line per
  // port that has the series. The ports are those vigild reports or,
  // while it is down, those this browser remembers, else those with a
  // stored traffic series (a browser opened after the replay of a
  // capture ended). The panel stays hidden when no port has the series.
  const loadHistory = async () => {
    historyTried = true;
    if (!latest && !vigildDown()) return;
    const stored = latest === null;
    let ports = latest ? latest.interfaces.map((p) => p.name)
      : (recall() || { ports: [] }).ports;
    if (stored && ports.length === 0) {
      ports = (await storedInterfaces('interface:traffic')).map((s) => s.element);
    }
    if (ports.length === 0) {
      if (stored) {
        showHistoryNote('vigild is not answering, this browser has not seen the names ' +
          'of its ports, and no stored interface series was found.');
      }
      return;
    }
    let end = stored ? null : latest.packet_time;
    let noteText = '';
    if (stored) {
      const found = latestEnd(await Promise.all(
        ports.map((port) => storedEnd('interface:traffic', port))));
      noteText = storedNote(found);
      showHistoryNote(noteText);
      if (found === null) return;
      end = found.time;
    } else {
      historyNote.hidden = true;
    }
    const to = Math.ceil(end) + 60;
    const reads = await Promise.all(ports.map((port) => api(
      '/timeseries?schema=interface:traffic&element=' + encodeURIComponent(port) +
      '&from=' + (to - 3600) + '&to=' + to).then((doc) => ({ doc }), (err) => ({ err }))));
    const docs = reads.map((r) => r.doc || null);
    if (docs.every((d) => d === null)) {
      if (stored) showHistoryNote(noteText + ' ' + seriesProblem(reads[0].err));
      else historyPanel.hidden = true;
      return;
    }
    historyPanel.hidden = false;
    historyChart = bytesChart(history, ports, docs, historyChart);
  };

  const showHistoryNote = (text) => {
    historyNote.textContent = text;
    historyNote.hidden = false;
    historyPanel.hidden = false;
  };

  const pollTables = async () => {
    try {
      clear(topHosts).appendChild(topHostsTable(await api('/hosts?sort=bytes&limit=10')));
    } catch (err) { clear(topHosts).appendChild(errorNote(err)); }
    try {
      const f = await api('/flows?sort=bytes&limit=1000');
      const agg = aggregate(f.flows);
      clear(apps).appendChild(breakdownTable(agg.apps.slice(0, 10), 'l7'));
      clear(cats).appendChild(breakdownTable(agg.categories.slice(0, 10), 'category'));
      if (f.total > f.flows.length) {
        apps.appendChild(el('p', { class: 'muted' }, 'From the ', String(f.flows.length),
          ' largest of ', fmt.count(f.total), ' active flows.'));
      }
    } catch (err) {
      clear(apps).appendChild(errorNote(err));
      clear(cats).appendChild(errorNote(err));
    }
  };

  // From the alert store: works without vigild.
  const pollAlerts = async () => {
    try {
      const a = await api('/alerts?state=engaged&limit=10');
      clear(engaged).appendChild(a.total === 0 ? el('p', { class: 'muted' }, 'No engaged alert.')
        : el('div', null, alertTable(a.alerts, true),
          link('/alerts', { state: 'engaged' }, 'All engaged alerts (' + a.total + ')')));
    } catch (err) {
      clear(engaged).appendChild(err instanceof ApiError && err.code === 'alert_store_unavailable'
        ? el('p', { class: 'muted' }, 'No alert store: ', err.message) : errorNote(err));
    }
  };

  const stops = [
    every(COUNTERS_MS, pollCounters),
    every(ALERTS_MS, pollAlerts),
    every(TABLES_MS, pollTables),
    every(HISTORY_MS, () => (historyTried ? loadHistory() : null)),
  ];
  return () => stops.forEach((s) => s());
}
