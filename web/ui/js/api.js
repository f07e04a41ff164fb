// The REST API of vigil-web (docs/api.md), with the session handling
// every page needs: a 401 sends the browser to the login page, a 503
// vigild_unavailable shows the banner until a request succeeds again,
// and state-changing requests carry the session's CSRF token.
import { el, clear } from './dom.js';

export class ApiError extends Error {
  constructor(status, doc) {
    super((doc && doc.message) || ('HTTP ' + status));
    this.status = status;
    this.code = doc && doc.error;
    this.doc = doc;
  }
}

let session = null;
const listeners = new Set();
let healthTimer = null;

// Calls <fn> when vigild comes back after a 503 vigild_unavailable.
export function onRecover(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function banner() {
  return document.getElementById('banner');
}

function showDown(message) {
  const b = banner();
  if (!b) return;
  clear(b).appendChild(el('span', null,
    'vigild is not available; live data resumes by itself when it is back. (',
    message || '', ')'));
  b.hidden = false;
  b.dataset.state = 'vigild_unavailable';
  // Probe until vigild answers, even when the page polls nothing.
  if (!healthTimer) healthTimer = setInterval(probe, 2000);
}

function showUp() {
  const b = banner();
  const wasDown = b && !b.hidden;
  if (b) { b.hidden = true; delete b.dataset.state; }
  if (healthTimer) { clearInterval(healthTimer); healthTimer = null; }
  if (wasDown) for (const fn of [...listeners]) fn();
}

async function probe() {
  try { await api('/interfaces'); } catch (err) { /* still down */ }
}

export function loginPage() {
  const next = location.hash && location.hash !== '#/' ? location.hash : '';
  location.assign('/login.html' + (next ? '?next=' + encodeURIComponent(next) : ''));
}

// Sends <method> <path> (below /api/v1) and returns the decoded JSON;
// throws ApiError for any status other than 2xx.
export async function api(path, options = {}) {
  const method = options.method || 'GET';
  const headers = { Accept: 'application/json' };
  let body;
  if (method !== 'GET' && method !== 'HEAD') {
    const s = await getSession();
    if (s && s.csrf_token) headers['X-CSRF-Token'] = s.csrf_token;
  }
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let res;
  try {
    res = await fetch('/api/v1' + path, {
      method, headers, body, credentials: 'same-origin', cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, { error: 'network', message: 'vigil-web is not reachable: ' + err.message });
  }
  let doc = null;
  try { doc = await res.json(); } catch (err) { doc = null; }
  if (res.status === 401 && path !== '/login' && !options.noRedirect) {
    loginPage();
    throw new ApiError(401, doc);
  }
  if (res.status === 503 && doc && doc.error === 'vigild_unavailable') {
    showDown(doc.message);
    throw new ApiError(503, doc);
  }
  if (res.ok && path !== '/session' && path !== '/plugins/pages') showUp();
  if (!res.ok) throw new ApiError(res.status, doc);
  return doc;
}

export async function getSession() {
  if (!session) session = await api('/session', { noRedirect: true });
  return session;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const text = q.toString();
  return text ? '?' + text : '';
}
