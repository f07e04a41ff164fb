// The dashboard's Top hosts panel with long IPv6 addresses in it (the
// capture has a flow between two such hosts), at a desktop width and a
// narrow one. Every header and cell must lie inside the panel's content
// box, and no cell may overflow its own box. The panel must not scroll
// sideways or reach past the window. Each address shows whole, and its
// link's title contains it too.
import assert from 'node:assert/strict';
import { expect, openPage, assertClean, screenshot, waitUntil } from './harness.mjs';

export const name = 'top_hosts';

const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];

// Runs in the page: the layout problems of the Top hosts panel, or null
// while its table does not list every address of <addresses> yet.
function measure(addresses) {
  const panel = [...document.querySelectorAll('section.panel')]
    .find((s) => s.querySelector('h2') && s.querySelector('h2').textContent === 'Top hosts');
  const table = panel && panel.querySelector('table');
  if (!table) return null;
  const rows = [...table.tBodies[0].rows];
  const hostCell = (address) => rows.map((r) => r.cells[0])
    .find((td) => td.textContent === address);
  if (!addresses.every(hostCell)) return null;

  const problems = [];
  const box = panel.getBoundingClientRect();
  const style = getComputedStyle(panel);
  const left = box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
  const right = box.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight);
  const viewport = document.documentElement.clientWidth;
  if (box.right > viewport + 0.5) {
    problems.push(`the panel ends at x=${box.right}, past the window's ${viewport}`);
  }
  if (panel.scrollWidth > panel.clientWidth) {
    problems.push(`the panel scrolls sideways: ${panel.scrollWidth} px of content ` +
      `in ${panel.clientWidth} px`);
  }
  for (const cell of table.querySelectorAll('th, td')) {
    const r = cell.getBoundingClientRect();
    const label = cell.tagName + ' "' + cell.textContent + '"';
    if (r.left < left - 0.5 || r.right > right + 0.5) {
      problems.push(`${label} spans x=${r.left}..${r.right}, outside the panel's ` +
        `content box ${left}..${right}`);
    }
    if (cell.scrollWidth > cell.clientWidth) {
      problems.push(`${label} overflows its cell: ${cell.scrollWidth} px in ${cell.clientWidth} px`);
    }
  }
  const links = addresses.map((address) => {
    const a = hostCell(address).querySelector('a');
    return { address, text: a && a.textContent, title: a && a.title };
  });
  // The first ten problems, and the count of the others.
  const listed = problems.slice(0, 10);
  if (problems.length > listed.length) listed.push(`and ${problems.length - listed.length} more`);
  return { problems: listed, links, rows: rows.length };
}

export async function run(browser, shared) {
  for (const viewport of VIEWPORTS) {
    const size = viewport.width + 'x' + viewport.height;
    const page = await openPage(browser, shared.storageState, viewport);
    await page.goto('/#/');
    const seen = await waitUntil('the Top hosts table to list ' + expect.long_addresses.join(', '),
      () => page.evaluate(measure, expect.long_addresses), 30000);
    await screenshot(page, name, 'dashboard-' + size);

    assert.deepEqual(seen.problems, [], size + ': the Top hosts panel clips or overflows');
    for (const link of seen.links) {
      assert.equal(link.text, link.address, size + ': the link should show the whole address');
      assert.equal(link.title, link.address, size + ': the link\'s title should hold the address');
    }
    await assertClean(page);
    await page.context().close();
  }
}
