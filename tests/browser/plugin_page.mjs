// A plugin page is reached through its menu entry (from web_gui/menu.lua)
// and shows what the page sandbox rendered: the same blocks as the API
// returns, the plugin's alert count, and markup from the plugin as text.
// The plugins list shows the plugin, its scripts with their state (enabled
// or disabled, by the script's default or the configuration), and its page
// link.
import assert from 'node:assert/strict';
import { expect, openPage, assertClean, screenshot, apiGet, tableText } from './harness.mjs';

export const name = 'plugin_page';

export async function run(browser, shared) {
  const page = await openPage(browser, shared.storageState);
  const pagePath = '/plugins/' + expect.plugin + '/pages/' + expect.page;
  const menu = await apiGet(page, '/plugins/pages');
  const entry = menu.pages.find((p) => p.plugin === expect.plugin);
  assert.ok(entry, 'the menu API should list the plugin page: ' + JSON.stringify(menu));
  assert.equal(entry.page, expect.page);
  assert.equal(entry.label, expect.menu_label);

  assert.deepEqual(menu.pages.map((p) => p.plugin).sort(), expect.menu_plugins,
    'one menu entry per plugin with web_gui/menu.lua');

  // The menu links every page, in sort_order.
  await page.goto('/#/');
  const link = page.locator(`#plugin-menu a[data-plugin="${expect.plugin}"]`);
  await link.waitFor();
  const links = await page.$$eval('#plugin-menu a', (as) =>
    as.map((a) => [a.textContent, a.getAttribute('href')]));
  const expectedLinks = menu.pages.slice().sort((a, b) => a.sort_order - b.sort_order)
    .map((p) => [p.label, '#/plugins/' + p.plugin + '/pages/' + p.page]);
  assert.deepEqual(links, expectedLinks);
  assert.equal(await link.textContent(), expect.menu_label);
  assert.equal(await link.getAttribute('href'), '#' + pagePath);
  await link.click();
  await page.waitForFunction((h) => location.hash === h, '#' + pagePath);
  await page.waitForSelector('#plugin-page .plugin-block');

  // The API's rendering of the same page is the reference.
  const doc = await apiGet(page, pagePath);
  assert.equal(await page.textContent('#view h1'), doc.title);
  const blocks = await page.$$eval('#plugin-page .plugin-block', (nodes) => nodes.length);
  assert.equal(blocks, doc.blocks.length);
  const texts = doc.blocks.filter((b) => b.type === 'text').map((b) => b.text);
  const displayed = await page.$$eval('#plugin-page .plugin-block > p',
    (ps) => ps.map((p) => p.textContent));
  assert.deepEqual(displayed, texts, 'text blocks should show the sandbox\'s strings as they are');
  assert.ok(texts.some((t) => t.includes('<img')), 'the test page should hold markup');
  assert.equal(await page.$$eval('#plugin-page img, #plugin-page b, #plugin-page script',
    (n) => n.length), 0, 'markup from the page sandbox must stay text');

  // The summary counts the plugin's alerts, which the alert API lists.
  const alerts = await apiGet(page, '/alerts?state=flow&limit=1000');
  const own = alerts.alerts.filter((a) => a.plugin === expect.plugin);
  assert.equal(own.length, expect.marked.length);
  const summary = await page.$$eval('#plugin-page table.kv tr', (rows) =>
    Object.fromEntries(rows.map((r) => [r.cells[0].textContent, r.cells[1].textContent])));
  assert.equal(summary['Alerts of this plugin'], String(own.length));
  assert.equal(summary['Caller role'], 'admin');
  const names = (await tableText(page, '#plugin-page table:not(.kv)')).map((row) => row[1]);
  assert.deepEqual(names, expect.marked, 'the page lists the marked server names as text');
  await screenshot(page, name, 'plugin-page');

  // The policy that would stop any script a page let through.
  const res = await page.request.get('/');
  const csp = res.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'(;|$)/, 'CSP: ' + csp);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, 'CSP: ' + csp);

  // The plugins list: the plugin, its script, the page link, sandbox counters.
  await page.click('#menu a[href="#/plugins"]');
  const panel = page.locator(`section[data-plugin="${expect.plugin}"]`);
  await panel.waitFor();
  const list = await apiGet(page, '/plugins');
  const plugin = list.plugins.find((p) => p.name === expect.plugin);
  for (const script of plugin.scripts) {
    assert.ok((await panel.textContent()).includes(script.key), 'script ' + script.key + ' missing');
  }
  assert.equal(await panel.locator(`a[href="#${pagePath}"]`).count(), 1);

  // Each script's State cell: enabled or disabled, and by what.
  const states = await page.$$eval('#plugins-body section[data-plugin] tbody tr', (rows) =>
    Object.fromEntries(rows.filter((r) => r.cells.length === 4)
      .map((r) => [r.cells[0].textContent, r.cells[2].textContent])));
  for (const [key, text] of Object.entries(expect.script_states)) {
    assert.equal(states[key], text, 'the State of script ' + key);
  }
  const scripts = list.plugins.flatMap((p) => p.scripts);
  for (const key of Object.keys(expect.script_states)) {
    const script = scripts.find((s) => s.key === key);
    assert.ok(script, 'the API should list script ' + key);
    assert.equal(expect.script_states[key].startsWith('enabled'), script.enabled,
      'the API\'s enabled of ' + key);
  }
  const sandboxRows = await page.$$eval('#plugins-body section:last-of-type tbody tr', (r) => r.length);
  assert.equal(sandboxRows, list.sandboxes.length);
  await screenshot(page, name, 'plugins-list');
  await assertClean(page);
  await page.context().close();
}
