// The application shell: session, menu (with the plugins' pages), and
// the hash router that shows one view at a time. A view is a function
// (root, ctx) that fills <root> and returns a function stopping its
// timers; the router calls it again when vigild comes back after an
// outage (api.js reports that once per outage), so every page recovers
// by itself.
import { api, getSession, loginPage, onRecover } from './api.js';
import { el, clear, route } from './dom.js';
import * as dashboard from './views/dashboard.js';
import * as flows from './views/flows.js';
import * as hosts from './views/hosts.js';
import * as alerts from './views/alerts.js';
import * as plugins from './views/plugins.js';
import * as iface from './views/interface.js';
import { stopTimers } from './views/common.js';

const routes = [
  [/^\/?$/, dashboard.render],
  [/^\/flows$/, flows.renderList],
  [/^\/flows\/(\d+)$/, flows.renderOne],
  [/^\/hosts$/, hosts.renderList],
  [/^\/hosts\/([^/]+)$/, hosts.renderOne],
  [/^\/interfaces\/([^/]+)$/, iface.render],
  [/^\/alerts$/, alerts.render],
  [/^\/plugins$/, plugins.renderList],
  [/^\/plugins\/([A-Za-z0-9_-]+)\/pages\/([A-Za-z0-9_-]+)$/, plugins.renderPage],
];

let stopView = null;

function parseHash() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const at = hash.indexOf('?');
  const path = at >= 0 ? hash.slice(0, at) : hash;
  const query = new URLSearchParams(at >= 0 ? hash.slice(at + 1) : '');
  return { path, query };
}

function highlightMenu(path) {
  for (const a of document.querySelectorAll('#menu a')) {
    const target = a.getAttribute('href').replace(/^#/, '').split('?')[0];
    const active = target === '/' ? path === '/' : path === target ||
      path.startsWith(target + '/');
    a.classList.toggle('active', active);
  }
}

function show() {
  if (stopView) { stopView(); stopView = null; }
  // Also the timers of a view that threw before returning its stop.
  stopTimers();
  const view = clear(document.getElementById('view'));
  const { path, query } = parseHash();
  highlightMenu(path);
  for (const [pattern, render] of routes) {
    const m = path.match(pattern);
    if (!m) continue;
    const args = m.slice(1).map(decodeURIComponent);
    const ctx = {
      args, query,
      // Replaces the query of the current route, which redraws the view.
      setQuery(params) { location.hash = route(path, params); },
    };
    stopView = render(view, ctx) || null;
    return;
  }
  view.appendChild(el('h1', null, 'Not found'));
  view.appendChild(el('p', null, 'No page at ', path, '.'));
}

async function loadPluginMenu() {
  const holder = document.getElementById('plugin-menu');
  try {
    const doc = await api('/plugins/pages');
    clear(holder);
    const pages = doc.pages.slice().sort((a, b) =>
      a.sort_order - b.sort_order || a.label.localeCompare(b.label));
    for (const p of pages) {
      holder.appendChild(el('a', {
        href: route('/plugins/' + encodeURIComponent(p.plugin) + '/pages/' +
          encodeURIComponent(p.page)),
        dataset: { plugin: p.plugin, page: p.page },
        // The menu cuts long labels (style.css); the title has all of it.
        title: p.label,
      }, p.label));
    }
    highlightMenu(parseHash().path);
  } catch (err) {
    holder.title = 'Plugin pages are not available: ' + err.message;
  }
}

async function start() {
  let session;
  try {
    session = await getSession();
  } catch (err) {
    if (err.status === 401) { loginPage(); return; }
    session = null; // login is off: anonymous read-only access
  }
  const user = document.getElementById('session-user');
  user.textContent = session ? session.user + ' (' + session.role + ')' : '';
  document.getElementById('logout').addEventListener('click', async () => {
    try { await api('/logout', { method: 'POST' }); } catch (err) { /* gone */ }
    location.assign('/login.html');
  });
  if (!session) document.getElementById('logout').hidden = true;
  window.addEventListener('hashchange', show);
  onRecover(show);
  loadPluginMenu();
  show();
}

start();
