// Server names from traffic that contain markup and quotes (an HTTP Host
// and a TLS SNI built by the capture) show as literal text in the flow
// list and in the flow's details. They create no element and run nothing.
// The payloads would set window.__vigil_xss or call alert(), and the page
// records dialogs and Content-Security-Policy violations.
import assert from 'node:assert/strict';
import { expect, openPage, assertClean, screenshot, waitUntil } from './harness.mjs';

export const name = 'escaping';

const EVIL = [['http-host', expect.evil_http_host], ['tls-sni', expect.evil_sni]];

// No element that a payload could have created, and no side effect.
async function assertInert(page, scope) {
  const created = await page.$$eval(`${scope} script, ${scope} img`, (n) => n.length);
  assert.equal(created, 0, 'markup from traffic created elements in ' + scope);
  assert.equal(await page.evaluate(() => typeof window.__vigil_xss), 'undefined',
    'a payload ran');
}

export async function run(browser, shared) {
  const page = await openPage(browser, shared.storageState);
  await page.goto('/#/flows');
  await page.waitForSelector('#flows-list[data-state="ready"]');
  await waitUntil('every flow listed', async () =>
    (await page.$$('#flows-table tbody tr')).length === expect.flows_total);

  const ids = {};
  for (const [label, evil] of EVIL) {
    const rows = await page.$$eval('#flows-table tbody tr', (trs, text) => trs
      .filter((tr) => tr.querySelector('[data-field="server_name"]').textContent === text)
      .map((tr) => ({ id: tr.dataset.flowId,
        children: tr.querySelector('[data-field="server_name"]').children.length })), evil);
    assert.equal(rows.length, 1, label + ': one row should show the name as text');
    assert.equal(rows[0].children, 0, label + ': the cell should hold text only');
    ids[label] = rows[0].id;
  }
  await assertInert(page, '#flows-table');
  await screenshot(page, name, 'flows');

  for (const [label, evil] of EVIL) {
    await page.goto('/#/flows/' + ids[label]);
    await page.waitForSelector('#flow-details[data-state="ready"]');
    const field = await page.textContent('#flow-fields [data-field="server_name"]');
    assert.equal(field, evil, label + ': the server_name field');
    const endpointsName = await page.$$eval('#flow-details table.kv tr', (rows, text) => rows
      .filter((r) => r.cells[0].textContent === 'Server name')
      .map((r) => r.cells[1].textContent === text), evil);
    assert.deepEqual(endpointsName, [true], label + ': the Endpoints panel\'s server name');
    // The marked flow's alert quotes the name in its details, as text.
    await waitUntil(label + ': the flow\'s alert', async () =>
      (await page.textContent('#flow-alerts')).includes(JSON.stringify(evil)));
    await assertInert(page, '#view');
    await screenshot(page, name, 'flow-' + label);
  }
  await assertClean(page);
  await page.context().close();
}
