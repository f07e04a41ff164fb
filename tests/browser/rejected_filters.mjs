// The flows and hosts lists opened with a filter that the API rejects: an
// address filter that contains markup. Each page shows the API's message
// as text, leaves its loading state and hides the count line, because no
// list matches.
import assert from 'node:assert/strict';
import { openPage, assertClean, screenshot } from './harness.mjs';

export const name = 'rejected_filters';

const CASES = [
  { view: 'flows', param: 'host', text: 'No flows to show: the request failed.' },
  { view: 'hosts', param: 'ip', text: 'No hosts to show: the request failed.' },
];
const VALUE = '<script>window.__vigil_xss=1</script>';

export async function run(browser, shared) {
  const page = await openPage(browser, shared.storageState);
  for (const { view, param, text } of CASES) {
    await page.goto(`/#/${view}?${param}=${encodeURIComponent(VALUE)}`);
    await page.waitForSelector(`#${view}-list[data-state="error"]`);

    assert.equal(await page.textContent(`#${view}-error`),
      `Filter ${param}: ${param} must be an IPv4 or IPv6 address, got '${VALUE}'`,
      view + ': the error note');
    assert.equal(await page.textContent(`#${view}-list`), text,
      view + ': the list should say that it has no result');
    assert.equal(await page.textContent(`#${view}-total`), '', view + ': the count');
    assert.equal(await page.getAttribute(`#${view}-total`, 'data-total'), null,
      view + ': data-total');
    assert.equal(await page.isVisible(`#${view}-total`), false,
      view + ': the count line should be hidden');
    assert.equal(await page.$$eval('#view script', (n) => n.length), 0,
      view + ': markup from the filter created an element');
    assert.equal(await page.evaluate(() => typeof window.__vigil_xss), 'undefined',
      view + ': the filter ran as script');
    await screenshot(page, name, view);
  }
  await assertClean(page);
  await page.context().close();
}
