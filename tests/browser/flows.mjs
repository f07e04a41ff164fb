// The flows page filtered by an L7 protocol, through its filter form:
// every row is of that protocol, the rows are the capture's flows of it,
// and the displayed count is the API's `total` for the same filter.
import assert from 'node:assert/strict';
import { expect, openPage, assertClean, screenshot, waitUntil, apiGet } from './harness.mjs';

export const name = 'flows';

// The cells of column <field> of #flows-table, row by row.
function column(page, field) {
  return page.$$eval(`#flows-table tbody td[data-field="${field}"]`,
    (cells) => cells.map((c) => c.textContent));
}

export async function run(browser, shared) {
  const page = await openPage(browser, shared.storageState);
  await page.goto('/#/');
  await page.click('#menu a[href="#/flows"]');
  await page.waitForSelector('#flows-list[data-state="ready"]');
  const all = await apiGet(page, '/flows?limit=1');
  await waitUntil('the unfiltered total', async () =>
    (await page.textContent('#flows-total')) === String(all.total));
  assert.equal(all.total, expect.flows_total);

  await page.fill('#flows-filters input[name="l7"]', expect.l7);
  await page.click('#flows-filters button[type="submit"]');
  await page.waitForFunction((l7) =>
    new URLSearchParams(location.hash.split('?')[1] || '').get('l7') === l7, expect.l7);
  const api = await apiGet(page, '/flows?limit=1&l7=' + encodeURIComponent(expect.l7));
  assert.equal(api.total, expect.l7_names.length,
    'the API should count the capture\'s ' + expect.l7 + ' flows');
  await waitUntil('the filtered list', async () =>
    (await page.textContent('#flows-total')) === String(api.total) &&
    (await column(page, 'l7')).length === api.total);

  assert.equal(await page.getAttribute('#flows-total', 'data-total'), String(api.total));
  const apps = await column(page, 'l7');
  for (const app of apps) {
    assert.ok(app.split('.').includes(expect.l7), 'a row of another protocol: ' + app);
  }
  const names = (await column(page, 'server_name')).sort();
  assert.deepEqual(names, expect.l7_names, 'the rows should be the capture\'s flows');
  const ids = await page.$$eval('#flows-table tbody tr', (rows) => rows.map((r) => r.dataset.flowId));
  assert.equal(new Set(ids).size, api.total, 'each row should be one flow');
  await screenshot(page, name, 'flows-' + expect.l7);
  await assertClean(page);
  await page.context().close();
}
