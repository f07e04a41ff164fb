// Timeseries for the host and interface pages: reading a time range of
// one series (GET /api/v1/timeseries), lining up several series on one
// time axis, and the range picker. Series are written in packet time, so
// a range ends at the latest packet time vigild reports, not at the
// browser's clock: a replayed capture shows its own minutes. While vigild
// is down, storedEnd() finds where the stored series end instead.
import { api, ApiError, query } from '../api.js';
import { recall } from '../lastknown.js';
import { el, clear } from '../dom.js';
import { lineChart } from '../chart.js';
import * as fmt from '../format.js';

export const RANGES = [
  [3600, 'Last hour'],
  [6 * 3600, 'Last 6 hours'],
  [86400, 'Last day'],
  [7 * 86400, 'Last week'],
];

export const COLORS = ['#1f5fbf', '#067647', '#b54708', '#b42318', '#6941c6',
  '#0e7090', '#c11574', '#4e5ba6'];

// The range in seconds from the route's `range`, one of RANGES.
export function rangeOf(q) {
  const v = Number(q.get('range'));
  return RANGES.some(([s]) => s === v) ? v : RANGES[0][0];
}

export function rangeSelect(current, onchange) {
  const select = el('select', { name: 'range' }, RANGES.map(([s, text]) =>
    el('option', { value: String(s), selected: s === current }, text)));
  select.addEventListener('change', () => onchange(Number(select.value)));
  return el('label', { class: 'range' }, 'Charts: ', select);
}

// Reads <schema>/<element> over the <range> seconds up to <end> (packet
// time, epoch seconds). Throws ApiError like api().
export function fetchSeries(schema, element, end, range, metrics) {
  const to = Math.ceil(end / 60) * 60 + 60;
  return api('/timeseries' + query({
    schema, element, from: to - range, to, metrics: metrics ? metrics.join(',') : undefined,
  }));
}

// The interface elements that have a stored series of <schema>
// (interface:traffic or interface:flows), as { element, last_update }
// with last_update the packet time of the newest point (or null). Returns
// [] when there is no store or the read fails.
export async function storedInterfaces(schema) {
  try {
    const doc = await api('/timeseries/series' + query({ schema }));
    return doc.series.map((s) => ({ element: s.element, last_update: s.last_update }));
  } catch (err) {
    return [];
  }
}

// Where charts of <schema>/<element> end while vigild is down, as
// { time, source }: the later of the packet time vigild last reported
// to this browser (source 'vigild') and the newest point of the series
// (source 'series'). An interface series reports its newest point
// whatever its age. Other series are searched in the day before the
// browser's clock (a live port's). Without either, the last_seen of the
// newest alert (source 'alert'), which is a packet time inside the
// capture. Returns null when none of them exists.
// NOTE: the timeseries API returns when a file was last written for
// interface series only. A host's charts of a capture older than a day,
// which this browser never watched while vigild ran, end at the newest
// alert. That can be before the capture's end, and without any alert
// they stay empty.
export async function storedEnd(schema, element) {
  const known = recall();
  const now = Math.floor(Date.now() / 1000);
  let newest = null;
  if (schema === 'interface:traffic' || schema === 'interface:flows') {
    const listed = (await storedInterfaces(schema)).find((s) => s.element === element);
    if (listed && listed.last_update) newest = listed.last_update;
  }
  if (newest === null) newest = await newestInDay(schema, element, now);
  if (known || newest) {
    return known && known.packet_time >= (newest || 0)
      ? { time: known.packet_time, source: 'vigild' } : { time: newest, source: 'series' };
  }
  const docs = await Promise.all(['engaged', 'past', 'flow'].map((state) =>
    api('/alerts' + query({ state, limit: 1 })).catch(() => null)));
  const times = docs.filter((d) => d).flatMap((d) => d.alerts.map((a) => a.last_seen));
  return times.length ? { time: Math.max(...times), source: 'alert' } : null;
}

// The time of the newest point of <schema>/<element> in the day before
// <now>, or null.
async function newestInDay(schema, element, now) {
  let newest = null;
  try {
    const doc = await api('/timeseries' + query({ schema, element, from: now - 86400, to: now }));
    for (const row of doc.points) {
      if (row.slice(1).some((v) => v !== null)) newest = row[0];
    }
  } catch (err) { /* no such series or no store: the chart's own read says so */ }
  return newest;
}

// The note above charts drawn while vigild is down: where they end, and
// why there. <end> is a result of storedEnd().
export function storedNote(end) {
  if (end === null) {
    return 'vigild is not answering, and neither this browser, the series nor the alert ' +
      'store give a packet time to show the stored series at.';
  }
  const reason = {
    vigild: 'the last packet time vigild reported',
    series: 'the newest point stored',
    alert: 'the time of the newest alert, as no packet time is known',
  }[end.source];
  return 'vigild is not answering: the charts show the stored series up to ' +
    fmt.time(end.time) + ', ' + reason + '.';
}

// Lines up <docs> (results of fetchSeries, null for a missing series) on
// one time axis: returns [xs, ys of docs[0], ys of docs[1], ...] with
// <metric> of each multiplied by <scale>, null where a doc has no point.
export function merge(docs, metric, scale = 1) {
  const times = new Set();
  for (const d of docs) if (d) for (const row of d.points) times.add(row[0]);
  const xs = [...times].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const ys = docs.map((d) => {
    const out = new Array(xs.length).fill(null);
    if (!d) return out;
    const i = d.metrics.indexOf(metric);
    if (i < 0) return out;
    for (const row of d.points) {
      const v = row[i + 1];
      out[at.get(row[0])] = v === null ? null : v * scale;
    }
    return out;
  });
  return [xs].concat(ys);
}

// Draws in <target> the `bytes` of the named series <names> (one
// response of fetchSeries per name, null where the series does not
// exist) as bit/s. <previous> is the chart this returned last time, kept
// when the names found are the same. Returns the chart, or null when no
// series exists.
export function bytesChart(target, names, docs, previous, labelOf = (n) => n) {
  const found = names.filter((n, i) => docs[i] !== null);
  if (found.length === 0) {
    clear(target).appendChild(el('p', { class: 'muted' },
      'No series yet for these names: vigild writes one point a minute.'));
    return null;
  }
  const key = found.join('\n');
  let chart = previous;
  if (!chart || chart.key !== key) {
    chart = lineChart(target, found.map((n, k) => ({
      label: labelOf(n), color: COLORS[k % COLORS.length],
    })), { format: fmt.bits });
    chart.key = key;
  }
  chart.setData(merge(docs.filter((d) => d !== null), 'bytes', 8));
  return chart;
}

// A rate for chart axes and legends: whole numbers from 100 up.
export function perSecond(v) {
  if (v === null || v === undefined) return '';
  if (Math.abs(v) >= 100) return fmt.count(Math.round(v));
  return Number(v).toFixed(Math.abs(v) >= 10 ? 1 : 2);
}

// A short text for a failed series read: the store is off, the series
// does not exist yet, or the request failed.
export function seriesProblem(err) {
  if (err instanceof ApiError && err.code === 'timeseries_unavailable') {
    return 'No timeseries: ' + err.message;
  }
  if (err instanceof ApiError && err.status === 404) {
    return 'No series yet: vigild writes one point a minute.';
  }
  return err.message || String(err);
}
