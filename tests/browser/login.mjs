// Logging in through the login page: the shell sends a browser without a
// session there, a wrong password shows the API's message, and the
// configured admin password opens the dashboard. The session is kept for
// the other tests.
import assert from 'node:assert/strict';
import { expect, openPage, assertClean, screenshot } from './harness.mjs';

export const name = 'login';

export async function run(browser, shared) {
  const page = await openPage(browser);
  await page.goto('/#/alerts');
  await page.waitForURL(/\/login\.html/);
  assert.equal(new URL(page.url()).searchParams.get('next'), '#/alerts',
    'the login page should know the route that was asked for');

  await page.fill('#login-user', expect.user);
  await page.fill('#login-password', expect.password + '-wrong');
  await page.click('#login-submit');
  await page.waitForFunction(() =>
    document.getElementById('login-error').textContent !== '');
  const error = await page.textContent('#login-error');
  assert.match(error, /password|credentials/i, 'wrong password message: ' + error);
  assert.match(page.url(), /\/login\.html/, 'a wrong password must not log in');
  await screenshot(page, name, 'wrong-password');

  await page.fill('#login-password', expect.password);
  await page.click('#login-submit');
  await page.waitForURL((url) => url.pathname === '/' && url.hash === '#/alerts');
  await page.waitForFunction((user) =>
    document.getElementById('session-user').textContent === user + ' (admin)', expect.user);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'vigil_session');
  assert.ok(session, 'no vigil_session cookie after login');
  assert.ok(session.httpOnly, 'the session cookie must be HttpOnly');
  assert.equal(await page.evaluate(() => document.cookie.includes('vigil_session')), false,
    'page scripts must not see the session cookie');
  await screenshot(page, name, 'logged-in');
  await assertClean(page);
  shared.storageState = await page.context().storageState();
  await page.context().close();
}
