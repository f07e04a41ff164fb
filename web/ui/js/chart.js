// Line charts with uPlot, which deploy/setup.sh installs from npm and the
// build copies to /vendor/uplot/. Without it the chart says so and the
// rest of the page still works.
import { el, clear } from './dom.js';
import * as fmt from './format.js';

let uplotModule = null;

// Seconds a live chart spans at least, so that its first points do not
// stretch over the whole width with sub-second axis labels.
const LIVE_SPAN_MIN = 60;
// Seconds a timeseries chart spans at least: ten one-minute points.
const SERIES_SPAN_MIN = 600;

async function loadUplot() {
  if (!uplotModule) {
    uplotModule = import('/vendor/uplot/uPlot.esm.js').then((m) => m.default);
  }
  return uplotModule;
}

// Width of the y axis: its longest label as the canvas draws it, plus the
// ticks and the gap, so labels such as "500.0 Mbit/s" are never cut.
function axisWidth(u, labels, axisIndex, cycle) {
  const axis = u.axes[axisIndex];
  // uPlot asks again while the layout settles; keep the first answer.
  if (cycle > 1 && axis._size) return axis._size;
  let widest = 0;
  if (labels && labels.length) {
    u.ctx.font = axis.font[0];
    for (const text of labels) {
      widest = Math.max(widest, u.ctx.measureText(text).width);
    }
  }
  const ratio = window.devicePixelRatio || 1;
  return Math.max(50, Math.ceil(widest / ratio + axis.ticks.size + axis.gap + 4));
}

// The index of the last x value at which some series has a value, or null.
function lastIndex(u) {
  const xs = u.data[0] || [];
  for (let i = xs.length - 1; i >= 0; i--) {
    for (let s = 1; s < u.data.length; s++) {
      const v = u.data[s][i];
      if (v !== null && v !== undefined) return i;
    }
  }
  return null;
}

// A legend value: the value under the cursor, or with the cursor away
// from the chart the latest one, so the legend never reads as empty.
function legendValue(text) {
  return (u, v, sidx, idx) => {
    const at = idx === null || idx === undefined ? lastIndex(u) : idx;
    if (at === null) return '-';
    const value = u.data[sidx][at];
    return value === null || value === undefined ? '-' : text(value);
  };
}

// Local wall-clock time of epoch seconds <t> as hh:mm:ss.
function clock(t) {
  const d = new Date(t * 1000);
  const two = (n) => String(n).padStart(2, '0');
  return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
}

function chartOptions(UPlot, series, options, width) {
  const format = options.format || String;
  const span = options.live ? LIVE_SPAN_MIN : SERIES_SPAN_MIN;
  const opts = {
    width,
    height: options.height || 200,
    series: [{}].concat(series.map((s) => ({
      label: s.label, stroke: s.color || '#1f5fbf', width: 1.5,
      value: legendValue(format),
    }))),
    axes: [{}, { values: (u, vals) => vals.map((v) => format(v)), size: axisWidth }],
    scales: {
      x: {
        time: true,
        // Widen a short range to <span> seconds ending at the newest point.
        range: (u, min, max) => (min === null || max === null ? [null, null]
          : [Math.min(min, max - span), max]),
      },
    },
  };
  if (options.live) {
    // Wall-clock x values: local time of day; the page prints the latest
    // rate next to the chart, so there is no legend.
    opts.legend = { show: false };
    opts.axes[0] = { space: 70, values: (u, splits) => splits.map(clock) };
  } else {
    // Packet times, in UTC like every other time on the pages.
    opts.tzDate = (t) => UPlot.tzDate(new Date(t * 1000), 'Etc/UTC');
    opts.series[0] = { label: 'Time (UTC)', value: legendValue(fmt.time) };
    // Room for labels such as "10:05pm" side by side.
    opts.axes[0] = { space: 70 };
  }
  return opts;
}

// A chart of <series> (an array of { label, color }) in <target>, with
// x values in seconds since the epoch. <options>: format (a y value to
// text), height, and live (x values are the browser's clock: labels are
// hh:mm:ss and no legend). Returns an object whose setData([xs, ys1,
// ys2...]) redraws it; target.dataset.points keeps the number of x values
// shown, for the tests and for people reading the DOM.
export function lineChart(target, series, options = {}) {
  clear(target);
  target.classList.add('chart');
  target.dataset.points = '0';
  const state = { plot: null, pending: null, failed: false };
  const width = () => Math.max(300, target.clientWidth || 600);
  loadUplot().then((UPlot) => {
    state.plot = new UPlot(chartOptions(UPlot, series, options, width()),
      state.pending || [[]].concat(series.map(() => [])), target);
    state.pending = null;
    // The uPlot instance, so the browser tests (and the console) can read
    // the data it plots (target.uplot.data).
    target.uplot = state.plot;
  }).catch((err) => {
    state.failed = true;
    target.appendChild(el('p', { class: 'muted' },
      'The chart library is missing (run deploy/setup.sh): ', err.message));
  });
  return {
    setData(data) {
      target.dataset.points = String(data[0].length);
      if (state.plot) state.plot.setData(data);
      else state.pending = data;
    },
  };
}

// Turns the answer of GET /api/v1/timeseries into uPlot data for
// <metrics>, multiplying each value by <scale>.
export function seriesData(doc, metrics, scale = 1) {
  const xs = [];
  const ys = metrics.map(() => []);
  const index = metrics.map((m) => doc.metrics.indexOf(m));
  for (const row of doc.points) {
    xs.push(row[0]);
    index.forEach((i, k) => {
      const v = i >= 0 ? row[i + 1] : null;
      ys[k].push(v === null ? null : v * scale);
    });
  }
  return [xs].concat(ys);
}
