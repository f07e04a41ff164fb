// One capture interface (#/interfaces/NAME, NAME as in the configuration):
// live throughput from its counters, charts from its timeseries, every
// counter vigild reports, and traffic by application and category.
//
// While vigild is down, the charts show the stored series up to the
// packet time that storedEnd() finds, and a note above them reports it.
//
// Stable hooks for tests and scripts (ids unless noted):
//   interface-details  data-state is loading, ready, error, or stored
//                      (vigild is down: only stored series show)
//   interface-summary  the port's counters, each value cell with data-field
//   interface-counters vigild's counters; each has data-counter="NAME"
//   interface-live     live throughput chart (data-points: points drawn)
//   interface-now      the latest live rate, as text
//   interface-chart-traffic, interface-chart-packets, interface-chart-flows,
//   interface-chart-apps, interface-chart-categories
//                      timeseries charts (data-points: points drawn)
//   interface-apps, interface-categories
//                      bytes by application and by category of the live
//                      flows, rows linking to the flow list
//
// NOTE: flows carry no port, so with several ports the breakdown, the
// flow charts and the application charts cover all ports together (the
// timeseries element "all"), as vigild counts them.
import { api, ApiError, vigildDown } from '../api.js';
import { recall } from '../lastknown.js';
import { el, clear, panel, table, kv } from '../dom.js';
import { lineChart } from '../chart.js';
import * as fmt from '../format.js';
import { aggregate, breakdownTable, errorNote, every } from './common.js';
import {
  bytesChart, COLORS, fetchSeries, merge, perSecond, rangeOf, rangeSelect, seriesProblem,
  storedEnd, storedNote,
} from './series.js';

const LIVE_MS = 2000;
const BREAKDOWN_MS = 10000;
const CHART_MS = 60000;
const LIVE_POINTS = 180;
const TOP_SERIES = 6;
const SERIES_READ = 40;

const listQuery = (schema, element) =>
  '?schema=' + encodeURIComponent(schema) + '&element=' + encodeURIComponent(element);

const PORT_FIELDS = [
  ['device', 'DPDK device'], ['ipackets', 'Packets received'], ['ibytes', 'Bytes received'],
  ['imissed', 'Missed by the NIC (imissed)'], ['ierrors', 'Receive errors (ierrors)'],
  ['rx_nombuf', 'No mbuf for a packet (rx_nombuf)'],
];

function portSummary(port) {
  const t = kv(PORT_FIELDS.map(([key, label]) => {
    const v = port[key];
    if (key === 'device') return [label, v || ''];
    return [label, key === 'ibytes' ? fmt.bytes(v) + ' (' + fmt.count(v) + ')' : fmt.count(v)];
  }));
  [...t.tBodies[0].rows].forEach((row, i) => { row.cells[1].dataset.field = PORT_FIELDS[i][0]; });
  t.id = 'interface-summary';
  return t;
}

function counterGrid(pairs) {
  return el('div', { class: 'counters' }, pairs.map(([name, value]) =>
    el('div', { class: 'counter' + (value > 0 && /drop|miss|err|full|empty|kill|late|bad|lost/
      .test(name) ? ' nonzero' : ''), dataset: { counter: name } },
    el('span', { class: 'name' }, name), el('span', { class: 'value' }, fmt.count(value)))));
}

// Every counter of GET /interfaces, grouped as the API groups them.
function countersSection(doc) {
  const c = doc.counters;
  const plain = Object.entries(c).filter(([, v]) => typeof v === 'number');
  const parse = Object.entries(c.parse_errors || {}).map(([k, v]) => ['parse_errors.' + k, v]);
  const plugins = Object.entries(c.plugins || {}).map(([k, v]) => ['plugins.' + k, v]);
  const engines = table([{ label: 'Engine lcore', num: true }, { label: 'Active flows', num: true },
    { label: 'Capacity', num: true }, { label: 'Used', num: true }],
  doc.engines.map((e) => [String(e.index), fmt.count(e.active_flows), fmt.count(e.capacity),
    e.capacity ? (100 * e.active_flows / e.capacity).toFixed(1) + ' %' : '']));
  return el('div', { id: 'interface-counters' },
    counterGrid(plain),
    el('h2', null, 'Parse errors'), counterGrid(parse),
    plugins.length ? [el('h2', null, 'Plugins'), counterGrid(plugins)] : null,
    el('h2', null, 'Flow tables'), engines,
    el('p', { class: 'muted' }, 'vigild ', doc.version, ', up ', fmt.duration(doc.uptime),
      ', packet time ', fmt.time(doc.packet_time), '.',
      doc.interfaces.length > 1 ? ' These counters cover all ports.' : ''));
}

const SERIES_CHARTS = [
  { id: 'interface-chart-traffic', title: 'Throughput', schema: 'interface:traffic',
    metrics: ['bytes', 'bytes_in', 'bytes_out'],
    labels: ['all bit/s', 'remote \u2192 local bit/s', 'local \u2192 remote bit/s'],
    scale: 8, format: fmt.bits },
  { id: 'interface-chart-packets', title: 'Packets and drops', schema: 'interface:traffic',
    metrics: ['packets', 'drops'], labels: ['packets/s', 'drops/s'], scale: 1,
    format: perSecond },
  { id: 'interface-chart-flows', title: 'Active flows and hosts', schema: 'interface:flows',
    metrics: ['active_flows', 'active_hosts'], labels: ['active flows', 'active hosts'],
    scale: 1, format: (v) => fmt.count(Math.round(v)), all: true },
];

export function render(root, ctx) {
  const name = ctx.args[0];
  const range = rangeOf(ctx.query);
  const box = el('div', { id: 'interface-details', dataset: { state: 'loading' } });
  const note = el('div', null);
  const summaryHolder = el('div', null, el('p', { class: 'muted' }, 'Loading...'));
  const countersHolder = el('div', null);
  const liveBox = el('div', { id: 'interface-live' });
  const now = el('p', { class: 'muted', id: 'interface-now' }, 'Waiting for counters...');
  const seriesNote = el('p', { class: 'muted' });
  seriesNote.hidden = true;
  const chartBoxes = SERIES_CHARTS.map((c) => el('div', { id: c.id }));
  const chartGrid = el('div', { class: 'grid' }, SERIES_CHARTS.map((c, i) => el('div', null,
    el('h2', null, c.title), chartBoxes[i])));
  const appsBox = el('div', { id: 'interface-chart-apps' });
  const catsBox = el('div', { id: 'interface-chart-categories' });
  const apps = el('div', { id: 'interface-apps' }, 'Loading...');
  const cats = el('div', { id: 'interface-categories' }, 'Loading...');
  const breakdownNote = el('p', { class: 'muted' });

  root.append(el('h1', null, 'Interface ', name), note, box);
  box.append(
    el('div', { class: 'grid' },
      panel('Port', summaryHolder),
      panel('Throughput (live, from the port counters)', liveBox, now)),
    panel('History', el('div', { class: 'pager' },
      rangeSelect(range, (r) => ctx.setQuery({ range: r }))), seriesNote, chartGrid),
    el('div', { class: 'grid' },
      panel('Applications (live flows)', apps),
      panel('Categories (live flows)', cats)),
    breakdownNote,
    el('div', { class: 'grid' },
      panel('Top applications over time (bit/s)', appsBox),
      panel('Top categories over time (bit/s)', catsBox)),
    panel('Counters', countersHolder));

  const live = lineChart(liveBox, [{ label: 'bit/s', color: COLORS[0] }],
    { format: fmt.bits, live: true });
  const charts = SERIES_CHARTS.map((c, i) => lineChart(chartBoxes[i],
    c.labels.map((label, k) => ({ label, color: COLORS[k] })), { format: c.format }));
  const xs = [];
  const ys = [];
  let last = null;
  let latest = null;       // the latest response of GET /interfaces
  let appChart = null;
  let catChart = null;
  let storeOff = false;    // the last read found no timeseries store
  let seriesTried = false; // a series read ran, or is running

  // The timeseries element of the series counted over all ports: the
  // port's own with one port, "all" with several. The ports are those
  // vigild reports or, while it is down, those this browser remembers.
  const allElement = () => {
    const ports = latest ? latest.interfaces.map((p) => p.name)
      : (recall() || { ports: [name] }).ports;
    return ports.length > 1 ? 'all' : name;
  };

  const pollCounters = async () => {
    let doc;
    try {
      doc = await api('/interfaces');
    } catch (err) {
      clear(note).appendChild(errorNote(err));
      now.textContent = 'No current rate: the counters are unavailable.';
      last = null;
      if (vigildDown()) {
        latest = null;
        box.dataset.state = 'stored';
        for (const holder of [summaryHolder, countersHolder]) clear(holder).appendChild(errorNote(err));
        if (!seriesTried) {
          loadSeries();
          pollBreakdown();
        }
      } else if (!latest) {
        box.dataset.state = 'error';
      }
      return;
    }

    const port = doc.interfaces.find((p) => p.name === name);
    if (!port) {
      box.dataset.state = 'error';
      clear(note).appendChild(el('p', { class: 'error' }, 'vigild has no interface named ',
        name, '. Its interfaces: ', doc.interfaces.map((p) => p.name).join(', ') || 'none', '.'));
      return;
    }
    clear(note);
    const firstDraw = latest === null;
    latest = doc;

    const t = performance.now() / 1000;
    if (last && t > last.t && port.ibytes >= last.bytes) {
      xs.push(Date.now() / 1000);
      ys.push(((port.ibytes - last.bytes) * 8) / (t - last.t));
      if (xs.length > LIVE_POINTS) { xs.shift(); ys.shift(); }
      // One point makes no line: the chart starts with the second.
      if (xs.length >= 2) live.setData([xs.slice(), ys.slice()]);
      now.textContent = 'Now: ' + fmt.bits(ys[ys.length - 1]);
    }
    last = { t, bytes: port.ibytes };

    clear(summaryHolder).appendChild(portSummary(port));
    clear(countersHolder).appendChild(countersSection(doc));
    box.dataset.state = 'ready';
    if (firstDraw) {
      loadSeries();
      pollBreakdown();
    }
  };

  const loadSeries = async () => {
    if (!latest && !vigildDown()) return;
    seriesTried = true;
    storeOff = false;
    const problems = new Set();
    let end = latest ? latest.packet_time : null;
    if (!latest) {
      // vigild is down: the stored series, up to where they end.
      const found = await storedEnd(SERIES_CHARTS[0].schema, name);
      problems.add(storedNote(found));
      if (found === null) {
        seriesNote.textContent = [...problems].join(' ');
        seriesNote.hidden = false;
        chartGrid.hidden = true;
        for (const target of [appsBox, catsBox]) {
          clear(target).appendChild(el('p', { class: 'muted' }, 'No range to show.'));
        }
        return;
      }
      end = found.time;
    }
    let drawn = 0;
    const draw = async (c, i) => {
      if (storeOff) return;
      try {
        const doc = await fetchSeries(c.schema, c.all ? allElement() : name, end, range,
          c.metrics);
        const data = [merge([doc], c.metrics[0], c.scale)[0]];
        for (const m of c.metrics) data.push(merge([doc], m, c.scale)[1]);
        charts[i].setData(data);
        drawn += 1;
      } catch (err) {
        problems.add(seriesProblem(err));
        if (err instanceof ApiError && err.code === 'timeseries_unavailable') storeOff = true;
      }
    };
    // The first read shows whether there is a store at all.
    await draw(SERIES_CHARTS[0], 0);
    await Promise.all(SERIES_CHARTS.slice(1).map((c, i) => draw(c, i + 1)));
    seriesNote.textContent = [...problems].join(' ');
    seriesNote.hidden = problems.size === 0;
    // Empty charts add nothing to the note: hide them.
    chartGrid.hidden = drawn === 0;
    if (storeOff) {
      // Without a store no chart can draw: the next try is a minute away.
      for (const target of [appsBox, catsBox]) {
        clear(target).appendChild(el('p', { class: 'muted' }, [...problems].join(' ')));
      }
      return;
    }
    await loadTopCharts(end);
  };

  const loadTopCharts = (end) => (storeOff ? null : Promise.all([
    topChart(appsBox, 'interface:app', end, (c) => { appChart = c; }, appChart),
    topChart(catsBox, 'interface:category', end, (c) => { catChart = c; }, catChart),
  ]));

  // A chart of the bytes of the TOP_SERIES applications (or categories)
  // that carried the most bytes over the range, from the series vigild
  // wrote (at most SERIES_READ of them are read), up to packet time <end>.
  const topChart = async (target, schema, end, keep, chart) => {
    const element = allElement();
    let list;
    try {
      list = await api('/timeseries/series' + listQuery(schema, element));
    } catch (err) {
      clear(target).appendChild(errorNote(err));
      return;
    }
    const names = list.series.slice(0, SERIES_READ)
      .map((s) => s.element.slice(element.length + 1));
    const docs = await Promise.all(names.map((n) =>
      fetchSeries(schema, element + '/' + n, end, range, ['bytes']).catch(() => null)));
    const total = (d) => (d ? d.points.reduce((sum, p) => sum + (p[1] || 0), 0) : 0);
    const ranked = names.map((n, i) => ({ n, doc: docs[i], bytes: total(docs[i]) }))
      .filter((r) => r.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, TOP_SERIES);
    if (ranked.length === 0) {
      clear(target).appendChild(el('p', { class: 'muted' },
        'No bytes in this range yet.'));
      return;
    }
    keep(bytesChart(target, ranked.map((r) => r.n), ranked.map((r) => r.doc), chart));
  };

  const pollBreakdown = async () => {
    if (!latest && !vigildDown()) return;
    try {
      const f = await api('/flows?sort=bytes&limit=1000');
      const agg = aggregate(f.flows);
      const appsTable = breakdownTable(agg.apps.slice(0, 15), 'l7');
      const catsTable = breakdownTable(agg.categories.slice(0, 15), 'category');
      clear(apps).appendChild(appsTable);
      clear(cats).appendChild(catsTable);
      breakdownNote.textContent = f.total > f.flows.length
        ? 'Applications and categories are summed over the ' + f.flows.length +
          ' largest of ' + fmt.count(f.total) + ' active flows.' : '';

    } catch (err) {
      clear(apps).appendChild(errorNote(err));
      clear(cats).appendChild(errorNote(err));
    }
  };

  const stops = [
    every(LIVE_MS, pollCounters),
    every(BREAKDOWN_MS, pollBreakdown),
    every(CHART_MS, loadSeries),
  ];
  return () => stops.forEach((s) => s());
}
