// The alerts page shows the flow alerts the test plugin raised for the
// capture's marked server names, with the same total as the API; the
// severity and time filters, and paging, narrow it as the API does.
import assert from 'node:assert/strict';
import { expect, openPage, assertClean, screenshot, waitUntil, apiGet, tableText }
  from './harness.mjs';

export const name = 'alerts';

async function shownTotal(page) {
  return page.getAttribute('#alerts-total', 'data-total');
}

// Waits until the alerts view shows <total> as its total.
async function waitForTotal(page, total) {
  await waitUntil('alerts total ' + total, async () =>
    (await shownTotal(page)) === String(total));
}

export async function run(browser, shared) {
  const page = await openPage(browser, shared.storageState);
  const api = await apiGet(page, '/alerts?state=flow&limit=1000');
  assert.equal(api.total, expect.marked.length,
    'the API should hold one flow alert per marked server name');

  // Reached from the menu, then the Flow tab.
  await page.goto('/#/');
  await page.click('#menu a[href="#/alerts"]');
  await page.click('#alerts-tabs a[data-state="flow"]');
  await page.waitForSelector('#alerts-table');
  await waitForTotal(page, api.total);
  const rows = await tableText(page, '#alerts-table');
  assert.equal(rows.length, expect.marked.length);
  for (const row of rows) {
    assert.equal(row[1], expect.alert_type);
    assert.equal(row[2], 'flow');
    assert.equal(row[0], 'error');
  }
  // Each marked name appears, as text, in exactly one row's details.
  for (const marked of expect.marked) {
    const hits = rows.filter((row) => row[row.length - 1].includes(JSON.stringify(marked)));
    assert.equal(hits.length, 1, 'details quoting ' + marked + ': ' + hits.length);
  }
  assert.equal(await page.$$eval('#alerts-table img, #alerts-table script', (n) => n.length), 0,
    'alert details must not create elements');
  await screenshot(page, name, 'flow-alerts');

  // Severity at least "critical": the plugin's alerts are "error".
  await page.selectOption('#alerts-filters select[name="severity"]', 'critical');
  await page.click('#alerts-filters button[type="submit"]');
  await page.waitForSelector('#alerts-none');
  await waitForTotal(page, 0);
  assert.equal((await apiGet(page, '/alerts?state=flow&severity=critical')).total, 0);
  await page.selectOption('#alerts-filters select[name="severity"]', 'error');
  await page.click('#alerts-filters button[type="submit"]');
  await waitForTotal(page, expect.marked.length);
  assert.match(await page.evaluate(() => location.hash), /severity=error/);

  // A time range after the capture matches no alert; one around it, all.
  const after = new Date((expect.t0 + expect.span + 3600) * 1000).toISOString().slice(0, 16);
  await page.fill('#alerts-filters input[name="since"]', after);
  await page.click('#alerts-filters button[type="submit"]');
  await waitForTotal(page, 0);
  const before = new Date((expect.t0 - 60) * 1000).toISOString().slice(0, 16);
  await page.fill('#alerts-filters input[name="since"]', before);
  await page.fill('#alerts-filters input[name="until"]', after);
  await page.click('#alerts-filters button[type="submit"]');
  await waitForTotal(page, expect.marked.length);
  const hash = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]);
  assert.equal(Number(hash.get('since')), Math.floor(Date.parse(before + ':00Z') / 1000));

  // Pages of two: the first has two rows, the second the rest.
  await page.goto('/#/alerts?state=flow&limit=2');
  await waitForTotal(page, expect.marked.length);
  assert.equal((await tableText(page, '#alerts-table')).length, 2);
  await page.click('#alerts-next');
  await page.waitForFunction(() => location.hash.includes('offset=2'));
  await waitUntil('the second page', async () =>
    (await tableText(page, '#alerts-table')).length === expect.marked.length - 2);
  assert.equal(await page.isDisabled('#alerts-next'), true);
  await screenshot(page, name, 'second-page');

  // The engaged view agrees with the API too.
  await page.click('#alerts-tabs a[data-state="engaged"]');
  const engaged = await apiGet(page, '/alerts?state=engaged');
  await waitForTotal(page, engaged.total);
  await assertClean(page);
  await page.context().close();
}
