// Runs after the driver stopped vigild (VIGIL_PHASE=vigild_stopped). An
// open dashboard then sends a few requests, not a stream: the endpoints
// that need vigild are not requested while it is down, and one probe looks
// for it at growing intervals. The engaged alerts, which the alert store
// keeps, still show, and the banner reports that live data is unavailable.
import assert from 'node:assert/strict';
import { openPage, assertClean, screenshot, waitUntil, apiGet } from './harness.mjs';

export const name = 'outage';

const WINDOW_MS = 10000;
// Within WINDOW_MS: the probe at most every 2 s (5), the engaged alerts
// every 10 s (2) and the history panel's reads (3).
const REQUESTS_MAX = 10;

export async function run(browser, shared) {
  const page = await openPage(browser, shared.storageState);
  const res = await page.request.get('/api/v1/interfaces');
  assert.equal(res.status(), 503, 'the driver should have stopped vigild');
  assert.equal((await res.json()).error, 'vigild_unavailable');

  await page.goto('/#/');
  await page.waitForSelector('#banner[data-state="vigild_unavailable"]');

  const sent = [];
  page.on('request', (req) => {
    if (new URL(req.url()).pathname.startsWith('/api/')) sent.push(new URL(req.url()).pathname);
  });
  await page.waitForTimeout(WINDOW_MS);
  const byPath = {};
  for (const p of sent) byPath[p] = (byPath[p] || 0) + 1;
  assert.ok(sent.length <= REQUESTS_MAX, `${sent.length} API requests in ${WINDOW_MS / 1000} s ` +
    'with vigild down: ' + JSON.stringify(byPath));
  assert.ok((byPath['/api/v1/interfaces'] || 0) <= WINDOW_MS / 2000,
    'at most one probe every 2 s: ' + JSON.stringify(byPath));
  for (const path of ['/api/v1/flows', '/api/v1/hosts']) {
    assert.ok(!sent.includes(path), path + ' was requested while vigild is down');
  }
  assert.match(await page.textContent('#banner'), /Live data is unavailable/);

  // The engaged alerts come from the alert store.
  const engaged = await apiGet(page, '/alerts?state=engaged&limit=1');
  await waitUntil('the engaged alerts card', async () => {
    const text = await page.textContent('#dashboard-engaged');
    return !text.includes('Loading') && text;
  });
  const rows = await page.$$('#dashboard-engaged tbody tr');
  assert.equal(rows.length, Math.min(engaged.total, 10), 'engaged alerts shown');
  if (engaged.total === 0) {
    assert.match(await page.textContent('#dashboard-engaged'), /No engaged alert/);
  }
  await screenshot(page, name, 'dashboard-vigild-down');
  await assertClean(page);
  await page.context().close();
}
