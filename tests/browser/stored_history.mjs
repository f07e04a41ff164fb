// Runs after a capture's replay ended (VIGIL_PHASE=replay_ended): vigild
// has exited and vigil-web serves the rrd files it wrote. A browser that
// never saw vigild respond, so it remembers no port name and no packet
// time, opens the dashboard. The history panel must draw the stored
// interface series at the capture's own minutes, point for point as the
// timeseries API returns them.
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
  const data = await waitUntil('the history chart to draw stored points', async () => {
    const d = await page.evaluate(() => {
      const box = document.getElementById('history-chart');
      return box && box.uplot ? box.uplot.data : null;
    });
    return d && d[1].some((v) => v !== null && v > 0) ? d : null;
  }, 30000);
  await screenshot(page, name, 'dashboard-after-replay');

  // The same series from the API, over the capture's minutes.
  const from = expect.t0 - 60;
  const to = expect.t0 + 8 * 60;
  const doc = await apiGet(page, '/timeseries?schema=interface:traffic&element=' +
    encodeURIComponent(expect.port_name) + '&from=' + from + '&to=' + to +
    '&resolution=60&metrics=bytes');
  const stored = doc.points.filter((p) => p[1] !== null && p[1] > 0);
  assert.equal(stored.length, expect.minutes.length,
    'the API should return one point per minute with packets: ' + JSON.stringify(doc.points));
  const [xs, ys] = data;
  for (const [t, bytes] of stored) {
    const i = xs.indexOf(t);
    assert.ok(i >= 0, `the chart has no point at ${t}: x values ${JSON.stringify(xs)}`);
    assert.equal(ys[i], bytes * 8, `the chart's bit/s at ${t}`);
  }

  const note = await page.textContent('#history-note');
  assert.match(note, /vigild is not answering: the charts show the stored series up to /,
    'the note should say where the stored series end');
  assert.equal(await page.evaluate((key) => localStorage.getItem(key), REMEMBERED_KEY), null,
    'the chart should not come from remembered port names');
  await assertClean(page);
  await page.context().close();
}
