// The plugins page (GET /api/v1/plugins: plugin folders, their user
// scripts with their state and settings, and the sandboxes' run
// statistics) and the pages plugins declare in web_gui/menu.lua.
//
// A plugin page is rendered by vigil-web's page sandbox, which returns
// JSON: a title and blocks of type text, table or kv made only of
// strings, numbers and booleans. Every value is put in the page as a
// text node, so a plugin (or the traffic it quotes) can show "<script>"
// but never run it: no string from the sandbox is parsed as HTML, and the
// page needs nothing the Content-Security-Policy forbids.
import { api, getSession } from '../api.js';
import { el, append, clear, kv, panel, route, table } from '../dom.js';
import * as fmt from '../format.js';
import { errorNote } from './common.js';

// Sandbox counters shown in the statistics table, in this order.
const SANDBOX_COUNTERS = [
  'events_seen', 'events_lost', 'result_batches', 'result_bad', 'statuses',
  'statuses_dropped', 'alerts_triggered', 'alerts_released', 'details_wrapped',
  'ts_points', 'plugin_errors', 'sandbox_starts', 'sandbox_exits', 'deadline_kills',
  'heartbeat_kills', 'load_kills', 'teardown_kills', 'hooks_skipped', 'control_dropped',
  'plugins_disabled',
];

// The value of `enabled` in a script's settings as vigil-sandbox reads
// it: a YAML boolean, or true/yes/on and false/no/off in any case. The
// API passes the last ones on as strings. Returns null for anything else.
function enabledValue(value) {
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['true', 'yes', 'on'].includes(text)) return true;
  if (['false', 'no', 'off'].includes(text)) return false;
  return null;
}

// The label shown after a script's state and its tooltip, by the API's
// enabled_source (the setting or run-time event that decided the state).
const SOURCES = {
  default: ['script default', 'The script\'s default_value decides: the configuration ' +
    'does not set enabled.'],
  config: ['plugins.scripts', 'plugins.scripts in the configuration file sets enabled.'],
  setup: ['setup() returned false', 'The script\'s setup() failed or returned false ' +
    '(the sandbox log has the reason).'],
  error: ['configuration error', 'The sandbox could not build the script\'s configuration ' +
    '(the sandbox log has the reason).'],
  failures: ['disabled after failures', 'The script\'s hooks failed 10 times in a row, so ' +
    'the sandbox stopped running it until the next restart or reload (the sandbox log ' +
    'has the errors).'],
};

// The State cell of script <s> (from GET /plugins, with enabled and
// enabled_source as the sandboxes reported them) with its <config>
// (plugins.scripts.<key>, or undefined). A value of enabled that
// vigil-sandbox cannot read is flagged after the state.
function scriptState(s, config) {
  const configured = config && 'enabled' in config ? enabledValue(config.enabled) : null;
  const invalid = config && 'enabled' in config && configured === null
    ? el('span', { class: 'sev-error' }, ' invalid in the configuration: enabled is ',
      JSON.stringify(config.enabled)) : null;
  if (s.enabled === null || s.enabled === undefined) {
    return el('span', { class: 'muted', title: 'No running sandbox reported this script: ' +
      'its plugin did not load, or the script declares another key.' }, 'not loaded', invalid);
  }
  const [label, title] = SOURCES[s.enabled_source] || [String(s.enabled_source), ''];
  return el('span', { title },
    s.enabled ? 'enabled' : el('span', { class: 'sev-warning' }, 'disabled'),
    el('span', { class: 'muted' }, ' (', label, ')'), invalid);
}

// The script's settings from the configuration file, "enabled" aside, as
// name: value pairs.
function settingsText(config) {
  const rest = Object.entries(config || {}).filter(([k]) => k !== 'enabled');
  if (rest.length === 0) return el('span', { class: 'muted' }, 'defaults');
  return rest.map(([k, v]) => k + ': ' + (typeof v === 'string' ? v : JSON.stringify(v)))
    .join(', ');
}

// Sandbox indexes as "sandbox 0" or "sandboxes 0, 1"; '' for none.
function sandboxList(indexes) {
  if (!indexes || indexes.length === 0) return '';
  return (indexes.length === 1 ? 'sandbox ' : 'sandboxes ') + indexes.join(', ');
}

function pluginPanel(p, config, pages) {
  const links = pages.filter((x) => x.plugin === p.name).map((x) =>
    el('a', { href: route('/plugins/' + encodeURIComponent(x.plugin) + '/pages/' +
      encodeURIComponent(x.page)) }, x.label));
  const scripts = table([
    { label: 'Script' }, { label: 'Kind' }, { label: 'State' }, { label: 'Settings', wrap: true },
  ], p.scripts.map((s) => [s.key, s.kind, scriptState(s, config[s.key]),
    settingsText(config[s.key])]));
  const section = panel(p.name,
    kv([
      ['Folder', p.path],
      ['Loaded in', sandboxList(p.loaded_in) || el('span', { class: 'muted' }, 'no sandbox')],
      ['Disabled in', p.disabled_in && p.disabled_in.length
        ? el('span', { class: 'sev-error' }, sandboxList(p.disabled_in)) : 'no sandbox'],
      ['Pages', links.length ? links.map((a, i) => [i > 0 ? ', ' : null, a]) : 'none'],
    ]),
    p.scripts.length ? scripts : el('p', { class: 'muted' }, 'No user scripts.'));
  section.dataset.plugin = p.name;
  return section;
}

function sandboxTable(sandboxes) {
  return table([
    { label: 'Sandbox', num: true }, { label: 'Running' }, { label: 'PID', num: true },
    { label: 'Uptime', num: true }, { label: 'Scripts', num: true }, { label: 'Disabled plugins' },
  ].concat(SANDBOX_COUNTERS.map((c) => ({ label: c.replace(/_/g, ' '), num: true }))),
  sandboxes.map((s) => [
    String(s.index), s.running ? 'yes' : el('span', { class: 'sev-error' }, 'no'),
    s.pid ? String(s.pid) : '', fmt.duration(s.uptime), String(s.scripts_loaded),
    (s.disabled || []).join(', '),
  ].concat(SANDBOX_COUNTERS.map((c) => {
    const v = s[c];
    const bad = v > 0 && /lost|bad|dropped|errors|kills|disabled|exits/.test(c);
    return el('span', { class: bad ? 'sev-error' : '' }, fmt.count(v));
  }))));
}

function reloadButton(onDone) {
  const note = el('span', { class: 'muted' });
  const button = el('button', { type: 'button', id: 'plugins-reload' }, 'Reload plugins');
  button.addEventListener('click', async () => {
    button.disabled = true;
    note.textContent = 'Restarting the sandboxes...';
    try {
      await api('/plugins/reload', { method: 'POST' });
      note.textContent = 'Sandboxes restarted; they read the plugins and their settings again.';
      setTimeout(onDone, 1000);
    } catch (err) {
      note.textContent = 'Reload failed: ' + err.message;
    } finally {
      button.disabled = false;
    }
  });
  return el('p', null, button, ' ', note);
}

export function renderList(root) {
  const body = el('div', { id: 'plugins-body' }, 'Loading...');
  root.append(el('h1', null, 'Plugins'), body);
  let stopped = false;

  const load = async () => {
    let doc;
    let pages = [];
    let session = null;
    try {
      doc = await api('/plugins');
    } catch (err) {
      clear(body).appendChild(errorNote(err));
      return;
    }
    try { pages = (await api('/plugins/pages')).pages; } catch (err) { /* no page links */ }
    try { session = await getSession(); } catch (err) { /* login is off */ }
    if (stopped) return;
    clear(body).classList.add('stack');
    if (!doc.enabled) {
      body.appendChild(el('p', { class: 'muted' },
        'Plugins are off: plugins.directories is empty in the configuration.'));
      return;
    }
    append(body, [
      el('p', null, 'Plugin folders: ', doc.directories.join(', ')),
      session && session.role === 'admin' ? reloadButton(load) : null,
      doc.plugins.length ? doc.plugins.map((p) => pluginPanel(p, doc.config || {}, pages))
        : el('p', { class: 'muted' }, 'No plugin found in these folders.'),
      panel('Sandboxes',
        // NOTE: vigild counts per sandbox, not per script (docs/api.md),
        // so the page cannot show which script raised what.
        el('p', { class: 'muted' }, 'Run statistics are per sandbox: vigild does not count hook calls or time per script.'),
        sandboxTable(doc.sandboxes)),
    ]);
  };
  load();
  return () => { stopped = true; };
}

// One block of a plugin page, or null for a type this page does not know.
function pageBlock(block) {
  const title = block.title !== undefined ? el('h2', null, String(block.title)) : null;
  const cell = (v) => (v === null || v === undefined ? '' : String(v));
  switch (block.type) {
    case 'text':
      return el('section', { class: 'plugin-block' }, title, el('p', null, cell(block.text)));
    case 'table':
      return el('section', { class: 'plugin-block' }, title, table(
        (block.columns || []).map((c) => ({ label: cell(c), wrap: true })),
        (block.rows || []).map((row) => row.map(cell))));
    case 'kv':
      return el('section', { class: 'plugin-block' }, title,
        kv((block.items || []).map((item) => [cell(item[0]), item.slice(1).map(cell).join(' ')])));
    default:
      return null;
  }
}

export function renderPage(root, ctx) {
  const [plugin, page] = ctx.args;
  const heading = el('h1', null, plugin);
  const body = el('div', { class: 'plugin-page', id: 'plugin-page',
    dataset: { plugin, page } }, 'Rendering the page...');
  const refresh = el('button', { type: 'button' }, 'Refresh');
  root.append(heading, el('p', { class: 'muted' }, 'A page of the plugin ', plugin,
    ', rendered by the page sandbox. ', refresh), body);
  let stopped = false;

  const load = async () => {
    refresh.disabled = true;
    let doc;
    try {
      // The route's query goes to the page as its parameters.
      const q = ctx.query.toString();
      doc = await api('/plugins/' + encodeURIComponent(plugin) + '/pages/' +
        encodeURIComponent(page) + (q ? '?' + q : ''));
    } catch (err) {
      if (!stopped) clear(body).appendChild(errorNote(err));
      return;
    } finally {
      refresh.disabled = false;
    }
    if (stopped) return;
    heading.textContent = doc.title !== undefined && doc.title !== null ? String(doc.title) : plugin;
    clear(body);
    let unknown = 0;
    for (const block of doc.blocks || []) {
      const node = pageBlock(block);
      if (node) body.appendChild(node);
      else unknown++;
    }
    if (unknown) {
      body.appendChild(el('p', { class: 'muted' }, String(unknown),
        ' block(s) of an unknown type were left out.'));
    }
    if (!body.firstChild) body.appendChild(el('p', { class: 'muted' }, 'The page is empty.'));
  };
  refresh.addEventListener('click', load);
  load();
  return () => { stopped = true; };
}
