// Line charts with uPlot, which deploy/setup.sh installs from npm and the
// build copies to /vendor/uplot/. Without it the chart says so and the
// rest of the page still works.
import { el, clear } from './dom.js';

let uplotModule = null;

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

// A chart of <series> (an array of { label, color }) in <target>, with
// x values in seconds since the epoch. Returns an object whose
// setData([xs, ys1, ys2...]) redraws it; target.dataset.points keeps the
// number of x values shown, for the tests and for people reading the DOM.
export function lineChart(target, series, options = {}) {
  clear(target);
  target.classList.add('chart');
  target.dataset.points = '0';
  const state = { plot: null, pending: null, failed: false };
  const width = () => Math.max(300, target.clientWidth || 600);
  loadUplot().then((UPlot) => {
    const opts = {
      width: width(),
      height: options.height || 200,
      series: [{}].concat(series.map((s) => ({
        label: s.label, stroke: s.color || '#1f5fbf', width: 1.5,
        value: (u, v) => (v === null || v === undefined ? '-' :
          (options.format ? options.format(v) : String(v))),
      }))),
      axes: [{}, { values: (u, vals) => vals.map((v) =>
        (options.format ? options.format(v) : String(v))), size: axisWidth }],
      scales: { x: { time: true } },
    };
    state.plot = new UPlot(opts, state.pending || [[]].concat(series.map(() => [])),
      target);
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
