// Runs vigil's browser tests in order in one Chromium and prints one
// line per test. The login test runs first: the others reuse its session.
// VIGIL_EXPECT names the expectations file the driver
// (tests/integration/browser.py or browser_stored.py) writes;
// VIGIL_TESTS (comma-separated names) runs a subset. VIGIL_PHASE selects
// the tests of a state: vigild_stopped (browser.py stopped vigild) or
// replay_ended (vigild read a capture to its end and exited).
import { join } from 'node:path';
import { launch, outputDir } from './harness.mjs';

// Each module exports name and run(browser, shared).
const PHASES = {
  '': ['login', 'dashboard', 'top_hosts', 'flows', 'rejected_filters', 'alerts',
    'plugin_page', 'escaping'],
  vigild_stopped: ['login', 'outage'],
  replay_ended: ['login', 'stored_history'],
};
const names = PHASES[process.env.VIGIL_PHASE || ''];
if (!names) {
  throw new Error(`invalid VIGIL_PHASE '${process.env.VIGIL_PHASE}': expected ` +
    Object.keys(PHASES).map((p) => `'${p}'`).join(', '));
}
const only = (process.env.VIGIL_TESTS || '').split(',').filter(Boolean);

const browser = await launch();

// Screenshots every page still open after <name> failed.
async function saveFailure(name) {
  let n = 0;
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      try {
        await page.screenshot({ path: join(outputDir(name), `failure-${n++}.png`), fullPage: true });
      } catch (err) { /* the page is gone */ }
    }
  }
}

const shared = {};
let failed = 0;
try {
  for (const name of names) {
    if (only.length && !only.includes(name) && name !== 'login') continue;
    const started = Date.now();
    try {
      const test = await import('./' + name + '.mjs');
      await test.run(browser, shared);
      console.log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${name} (${((Date.now() - started) / 1000).toFixed(1)} s): ` +
        (err && err.stack ? err.stack : err));
      await saveFailure(name);
      if (name === 'login') break;
    }
    // A test that failed may have left its context open.
    for (const context of browser.contexts()) await context.close();
  }
} finally {
  await browser.close();
}
console.log(`${failed} browser test(s) failed`);
process.exit(failed ? 1 : 0);
