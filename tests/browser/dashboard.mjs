// The dashboard's live throughput chart plots the interface counters.
// uPlot contains several points, recent in wall-clock time. Their mean
// rate is the paced replay's, because the keepalive flow sends one packet
// every 50 ms and the other flows sit in the first two seconds.
import assert from 'node:assert/strict';
import { expect, openPage, assertClean, screenshot, waitUntil, apiGet } from './harness.mjs';

export const name = 'dashboard';

const POINTS_MIN = 4;

export async function run(browser, shared) {
  const page = await openPage(browser, shared.storageState);
  await page.goto('/#/');
  await page.waitForSelector('#throughput-chart .uplot');

  const data = await waitUntil(POINTS_MIN + ' chart points', async () => {
    const d = await page.evaluate(() => {
      const box = document.getElementById('throughput-chart');
      return box.uplot ? { data: box.uplot.data, points: box.dataset.points } : null;
    });
    return d && d.data[0].length >= POINTS_MIN ? d : null;
  }, 30000);
  const [xs, ys] = data.data;
  assert.equal(String(xs.length), data.points, 'data-points should count the plotted x values');
  assert.equal(ys.length, xs.length);
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i] > xs[i - 1], 'x values must increase');
  assert.ok(ys.every((y) => Number.isFinite(y) && y >= 0), 'rates must be numbers >= 0: ' + ys);
  const now = Date.now() / 1000;
  assert.ok(Math.abs(xs[xs.length - 1] - now) < 30,
    'the last point should be recent: ' + xs[xs.length - 1] + ' vs ' + now);

  // Mean rate over the points after the first, weighted by their spans.
  let bits = 0;
  for (let i = 1; i < xs.length; i++) bits += ys[i] * (xs[i] - xs[i - 1]);
  const mean = bits / (xs[xs.length - 1] - xs[0]);
  // The port counter moves by bursts of up to 4 packets and the page
  // polls every 2 s, so the window's mean is near the built rate, not on it.
  assert.ok(mean > expect.keepalive_bps / 2 && mean < expect.keepalive_bps * 2,
    `mean plotted rate ${mean.toFixed(0)} bit/s, capture sends ${expect.keepalive_bps} bit/s`);

  const iface = await apiGet(page, '/interfaces');
  const summary = await page.textContent('[data-counter="active_flows"] .value');
  assert.equal(summary.replace(/,/g, ''), String(iface.counters.active_flows),
    'the active_flows counter should match the API');
  assert.equal(iface.counters.active_flows, expect.flows_total);
  await screenshot(page, name, 'dashboard');
  await assertClean(page);
  await page.context().close();
}
