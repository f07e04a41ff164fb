// Runs after a capture's replay ended (VIGIL_PHASE=replay_ended): vigild
// has exited and vigil-web serves the rrd files it wrote. A browser that
// never saw vigild respond, so it remembers no port name and no packet
// time, opens the dashboard. The history panel must draw the stored
// traffic series of every port (expect.ports), one line per port, at the
// capture's own minutes, point for point as the timeseries API returns
// them. vigild writes no traffic series of all ports together, so with
// two ports there is nothing else to draw.
import assert from 'node:assert/strict';
import { expect, openPage, assertClean, screenshot, waitUntil, apiGet } from './harness.mjs';

export const name = 'stored_history';

const REMEMBERED_KEY = 'vigil.last_interfaces';

export async function run(browser, shared) {
  // The login's cookies only: no localStorage from an earlier page.
  const page = await openPage(browser, { cookies: shared.storageState.cookies, origins: [] });
  const res = await page.request.get('/api/v1/interfaces');
  assert.equal(res.status(), 503, 'vigild should have exited');

  await page.goto('/#/');
  assert.equal(await page.evaluate((key) => localStorage.getItem(key), REMEMBERED_KEY), null,
    'the browser should start without remembered port names');
  const names = expect.ports.map((p) => p.name);
  const chart = await waitUntil('the history chart to draw stored points of ' + names.join(', '),
    async () => {
      const c = await page.evaluate(() => {
        const box = document.getElementById('history-chart');
        return box && box.uplot
          ? { labels: box.uplot.series.slice(1).map((s) => s.label), data: box.uplot.data }
          : null;
      });
      if (!c || c.labels.length !== names.length) return null;
      const drawn = c.data.slice(1).every((ys) => ys.some((v) => v !== null && v > 0));
      return drawn ? c : null;
    }, 30000);
  await screenshot(page, name, 'dashboard-after-replay-' + names.length + '-ports');
  assert.deepEqual([...chart.labels].sort(), [...names].sort(),
    'the chart should have one line per port, named after it');

  // Each port's series from the API, over the capture's minutes.
  const from = expect.t0 - 60;
  const to = expect.t0 + 8 * 60;
  const xs = chart.data[0];
  for (const port of expect.ports) {
    const doc = await apiGet(page, '/timeseries?schema=interface:traffic&element=' +
      encodeURIComponent(port.name) + '&from=' + from + '&to=' + to +
      '&resolution=60&metrics=bytes');
    const stored = doc.points.filter((p) => p[1] !== null && p[1] > 0);
    if (port.minutes) {
      assert.equal(stored.length, port.minutes.length,
        `the API should return one point per minute with packets on ${port.name}: ` +
        JSON.stringify(doc.points));
    } else {
      assert.ok(stored.length > 0, `the API should return traffic on ${port.name}: ` +
        JSON.stringify(doc.points));
    }
    const ys = chart.data[1 + chart.labels.indexOf(port.name)];
    for (const [t, bytes] of stored) {
      const i = xs.indexOf(t);
      assert.ok(i >= 0, `the chart has no point at ${t}: x values ${JSON.stringify(xs)}`);
      assert.equal(ys[i], bytes * 8, `the chart's bit/s of ${port.name} at ${t}`);
    }
    // The rest of the line, in the same range, is what the API returns.
    const value = new Map(doc.points.map(([t, v]) => [t, v]));
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] < from || xs[i] > to) continue;
      const v = value.has(xs[i]) ? value.get(xs[i]) : null;
      assert.equal(ys[i], v === null ? null : v * 8,
        `the chart's bit/s of ${port.name} at ${xs[i]}`);
    }
  }

  const note = await page.textContent('#history-note');
  assert.match(note, /vigild is not answering: the charts show the stored series up to /,
    'the note should say where the stored series end');
  assert.equal(await page.evaluate((key) => localStorage.getItem(key), REMEMBERED_KEY), null,
    'the chart should not come from remembered port names');
  await assertClean(page);
  await page.context().close();
}
