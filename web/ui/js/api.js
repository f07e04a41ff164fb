// The REST API of vigil-web (docs/api.md), with the session handling
// every page needs: a 401 sends the browser to the login page, and
// state-changing requests carry the session's CSRF token.
//
// A 503 vigild_unavailable shows the banner and marks vigild down. While
// it is down, requests for endpoints that vigild serves fail at once
// without reaching the network, and one probe (GET /interfaces) checks
// for vigild at growing intervals. Only a success of an endpoint that
// vigild serves marks it up again; the alert store and the timeseries
// answer without vigild, so their successes prove nothing. Without this
// rule, a page that polls both kinds of endpoint would flip between down
// and up, and re-render itself, many times a second.
import { el, clear } from './dom.js';
import { remember } from './lastknown.js';

export class ApiError extends Error {
  constructor(status, doc) {
    super((doc && doc.message) || ('HTTP ' + status));
    this.status = status;
    this.code = doc && doc.error;
    this.doc = doc;
  }
}

// Delay before the first probe after vigild went away, doubled after
// each failed probe up to PROBE_MS_MAX.
const PROBE_MS_FIRST = 2000;
const PROBE_MS_MAX = 10000;

let session = null;
const listeners = new Set();
// While vigild is unavailable: { message, delay, timer }; null otherwise.
let outage = null;

// Calls <fn> when vigild comes back after a 503 vigild_unavailable.
export function onRecover(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// True from a 503 vigild_unavailable until a probe reaches vigild again.
export function vigildDown() {
  return outage !== null;
}

// Whether vigil-web asks vigild to answer <path> (docs/api.md). Alerts,
// timeseries, sessions and plugin pages are served without it.
function needsVigild(path) {
  const p = path.split('?')[0];
  return p === '/interfaces' || p === '/flows' || p.startsWith('/flows/') ||
    p === '/hosts' || p.startsWith('/hosts/') || p === '/plugins' ||
    p === '/plugins/reload';
}

function banner() {
  return document.getElementById('banner');
}

function showBanner(message) {
  const b = banner();
  if (!b) return;
  clear(b).appendChild(el('span', null,
    'Live data is unavailable: vigild is not answering (', message || 'no reason given',
    '). Alerts and charts come from the alert store and the timeseries files; ' +
    'live data comes back by itself when vigild answers again.'));
  b.hidden = false;
  b.dataset.state = 'vigild_unavailable';
}

function markDown(message) {
  if (outage) {
    outage.message = message;
    return;
  }
  outage = { message, delay: PROBE_MS_FIRST, timer: null };
  showBanner(message);
  outage.timer = setTimeout(probe, outage.delay);
}

function markUp() {
  if (!outage) return;
  clearTimeout(outage.timer);
  outage = null;
  const b = banner();
  if (b) { b.hidden = true; delete b.dataset.state; }
  for (const fn of [...listeners]) fn();
}

async function probe() {
  try {
    await api('/interfaces', { probe: true });
  } catch (err) {
    if (!outage) return;
    outage.delay = Math.min(outage.delay * 2, PROBE_MS_MAX);
    outage.timer = setTimeout(probe, outage.delay);
  }
}

export function loginPage() {
  const next = location.hash && location.hash !== '#/' ? location.hash : '';
  location.assign('/login.html' + (next ? '?next=' + encodeURIComponent(next) : ''));
}

// Sends <method> <path> (below /api/v1) and returns the decoded JSON;
// throws ApiError for any status other than 2xx. While vigild is down,
// a path that needs it throws the 503 at once, unless <options.probe>.
export async function api(path, options = {}) {
  const method = options.method || 'GET';
  const vigildPath = needsVigild(path);
  if (outage && vigildPath && !options.probe) {
    throw new ApiError(503, { error: 'vigild_unavailable', message: outage.message });
  }
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
    markDown(doc.message);
    throw new ApiError(503, doc);
  }
  if (!res.ok) throw new ApiError(res.status, doc);
  if (path === '/interfaces' && method === 'GET') remember(doc);
  if (vigildPath) markUp();
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
