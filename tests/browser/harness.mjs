// What every browser test shares: the expectations file the driver
// (tests/integration/browser.py) writes, one Chromium, pages that record
// dialogs, page errors and Content-Security-Policy violations, polling,
// screenshots and API reads with the page's own session.
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const expect = JSON.parse(readFileSync(process.env.VIGIL_EXPECT, 'utf8'));

export async function launch() {
  return chromium.launch({
    executablePath: expect.chromium,
    args: ['--headless', '--no-sandbox'],
  });
}

// Records what must not happen on a vigil page before any of its scripts
// run: CSP violations are reported by the browser as events.
function recordViolations() {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') +
      ' ' + (e.sample || ''));
  });
}

// Opens a page in a context of its own. <storageState> carries a login,
// and <viewport> ({ width, height } in CSS pixels) defaults to 1400x900.
export async function openPage(browser, storageState, viewport) {
  const context = await browser.newContext({
    baseURL: expect.url, storageState, viewport: viewport || { width: 1400, height: 900 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.addInitScript(recordViolations);
  page.problems = { dialogs: [], errors: [] };
  page.on('dialog', async (dialog) => {
    page.problems.dialogs.push(dialog.type() + ': ' + dialog.message());
    await dialog.dismiss();
  });
  page.on('pageerror', (err) => page.problems.errors.push(err.message));
  return page;
}

// Fails when the page opened a dialog, threw, or broke the CSP.
export async function assertClean(page) {
  const csp = await page.evaluate(() => window.__cspViolations || []);
  if (page.problems.dialogs.length) {
    throw new Error('dialogs opened: ' + page.problems.dialogs.join(' | '));
  }
  if (page.problems.errors.length) {
    throw new Error('uncaught errors: ' + page.problems.errors.join(' | '));
  }
  if (csp.length) throw new Error('CSP violations: ' + csp.join(' | '));
}

// Calls <fn> until it returns a truthy value; throws after <ms> with the
// last value or error, so a failure says what was seen.
export async function waitUntil(what, fn, ms = 15000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error('timed out waiting for ' + what + ' (last: ' +
        (last instanceof Error ? last.message : JSON.stringify(last)) + ')');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// GET /api/v1<path> with the page's cookies; returns the decoded JSON.
export async function apiGet(page, path) {
  const res = await page.request.get('/api/v1' + path);
  if (!res.ok()) throw new Error('GET ' + path + ': HTTP ' + res.status());
  return res.json();
}

export function outputDir(test) {
  const dir = join(expect.output, test);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function screenshot(page, test, name) {
  const path = join(outputDir(test), name + '.png');
  await page.screenshot({ path, fullPage: true });
  return path;
}

// The text of every cell of the table with id <id>, row by row.
export async function tableText(page, selector) {
  return page.$$eval(selector + ' tbody tr', (rows) =>
    rows.map((tr) => [...tr.cells].map((td) => td.textContent)));
}
