// The alerts page: engaged, past and flow alerts from the alert store
// (GET /api/v1/alerts), with the API's filters kept in the route's query
// so a filtered view can be bookmarked and the back button works.
// Alert values, types and details come from plugins and traffic: they
// reach the page only as text nodes.
import { api, ApiError } from '../api.js';
import { breakable, el, clear, link, route, scrollBox, table } from '../dom.js';
import * as fmt from '../format.js';
import { detailsNode, errorNote, every, hostEntityLink, hostLink } from './common.js';

const STATES = [
  ['engaged', 'Engaged', 'Alerts whose condition still holds.'],
  ['past', 'Past', 'Host, interface, network and system alerts that were released.'],
  ['flow', 'Flow', 'Alerts raised for one flow; they are past as soon as they are stored.'],
];
const SEVERITIES = ['info', 'notice', 'warning', 'error', 'critical'];
const ENTITIES = ['flow', 'host', 'interface', 'network', 'system'];
const LIMITS = [25, 50, 100, 200, 500];
const REFRESH_MS = 10000;

// The query parameters this page passes to the API, read from the route.
function filtersOf(query) {
  const state = STATES.some(([s]) => s === query.get('state')) ? query.get('state') : 'engaged';
  const limit = Number(query.get('limit')) || 50;
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const f = { state, limit, offset };
  for (const key of ['severity', 'type', 'entity', 'entity_value', 'since', 'until']) {
    const v = query.get(key);
    if (v) f[key] = v;
  }
  return f;
}

// An <input type="datetime-local"> value, read as UTC, to epoch seconds;
// '' when empty or invalid.
function inputToEpoch(value) {
  if (!value) return '';
  const ms = Date.parse(value + ':00Z');
  return Number.isNaN(ms) ? '' : String(Math.floor(ms / 1000));
}

function epochToInput(seconds) {
  const n = Number(seconds);
  if (!seconds || !Number.isFinite(n)) return '';
  return new Date(n * 1000).toISOString().slice(0, 16);
}

function select(name, label, options, value) {
  return el('label', null, label, el('select', { name },
    options.map(([v, text]) => el('option', { value: v, selected: v === (value || '') }, text))));
}

function filterForm(f, ctx) {
  const input = (name, label, props) => el('label', null, label,
    el('input', Object.assign({ name, value: f[name] || '' }, props)));
  const form = el('form', { class: 'filters', id: 'alerts-filters' },
    select('severity', 'Severity at least', [['', 'any']].concat(
      SEVERITIES.map((s) => [s, s])), f.severity),
    // NOTE: the API lists no alert types, so Type is free text and a
    // misspelt key matches nothing rather than being rejected.
    input('type', 'Type', { placeholder: 'alert key' }),
    select('entity', 'Entity', [['', 'any']].concat(ENTITIES.map((e) => [e, e])), f.entity),
    input('entity_value', 'Entity value', { placeholder: '10.0.0.1@0' }),
    el('label', null, 'From (UTC)', el('input', { name: 'since', type: 'datetime-local',
      value: epochToInput(f.since) })),
    el('label', null, 'To (UTC)', el('input', { name: 'until', type: 'datetime-local',
      value: epochToInput(f.until) })),
    select('limit', 'Per page', LIMITS.map((n) => [String(n), String(n)]), String(f.limit)),
    el('button', { type: 'submit' }, 'Apply'),
    el('a', { href: route('/alerts', { state: f.state }) }, 'Clear'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    ctx.setQuery({
      state: f.state,
      severity: data.get('severity'),
      type: data.get('type').trim(),
      entity: data.get('entity'),
      entity_value: data.get('entity_value').trim(),
      since: inputToEpoch(data.get('since')),
      until: inputToEpoch(data.get('until')),
      limit: data.get('limit') === '50' ? '' : data.get('limit'),
    });
  });
  return form;
}

function tabs(f) {
  return el('nav', { class: 'tabs', id: 'alerts-tabs' }, STATES.map(([state, label]) => {
    const q = Object.assign({}, f, { state, offset: '' });
    if (q.limit === 50) q.limit = '';
    const a = el('a', { href: route('/alerts', q), dataset: { state } }, label);
    if (state === f.state) a.classList.add('active');
    return a;
  }));
}

// A link that narrows the current view to <key>=<value>.
function narrow(f, key, value, text) {
  const q = Object.assign({}, f, { [key]: value, offset: '' });
  if (q.limit === 50) q.limit = '';
  return link('/alerts', q, text);
}

function entityCell(a) {
  if (a.entity === 'flow' && a.client_ip) {
    return el('span', null, hostLink(a.client_ip, a.vlan), ':', String(a.client_port),
      ' \u2192 ', hostLink(a.server_ip, a.vlan), ':', String(a.server_port));
  }
  if (a.entity === 'host' && a.entity_value) return hostEntityLink(a.entity_value);
  return a.entity_value || '';
}

// A flow alert's application and size, then the details object.
function detailsCell(a) {
  const parts = [];
  if (a.entity === 'flow') {
    if (a.l7) parts.push(a.l7);
    if (a.bytes !== undefined) parts.push(fmt.bytes(a.bytes) + ', ' + fmt.count(a.packets) + ' packets');
  }
  const details = detailsNode(a.details);
  if (parts.length === 0) return details;
  return el('span', null, parts.join('; '), details ? '; ' : '', details);
}

// A packet time as date and time of day, without the zone (the column
// headers name it). A narrow column wraps it between the two only.
function utc(t) {
  const text = fmt.time(t);
  return el('span', null, el('span', { class: 'nowrap' }, text.slice(0, 10)), ' ',
    el('span', { class: 'nowrap' }, text.slice(11, 19)));
}

function alertsTable(f, alerts) {
  // Type, plugin and times may wrap (at '_', ' / ' and between date and
  // time), so that the table fits a 1400-pixel window.
  const columns = [
    { label: 'Severity' }, { label: 'Type', breaks: true }, { label: 'Entity' },
    { label: 'Value' }, { label: 'Plugin / script', breaks: true },
    { label: 'Score', num: true }, { label: 'Count', num: true },
    { label: 'First seen (UTC)', breaks: true }, { label: 'Last seen (UTC)', breaks: true },
  ];
  if (f.state === 'past') columns.push({ label: 'Released (UTC)', breaks: true });
  columns.push({ label: 'Details', details: true });
  const rows = alerts.map((a) => {
    const cells = [
      el('span', { class: 'sev-' + a.severity }, a.severity),
      narrow(f, 'type', a.type, breakable(a.type)),
      narrow(f, 'entity', a.entity, a.entity),
      entityCell(a),
      el('span', null, a.plugin || '', a.script ? ' / ' + a.script : ''),
      String(a.score), fmt.count(a.count), utc(a.first_seen), utc(a.last_seen),
    ];
    if (f.state === 'past') {
      cells.push(a.released ? el('span', null, utc(a.released), ' (', a.release_reason, ')')
        : '');
    }
    cells.push(detailsCell(a));
    return cells;
  });
  const t = table(columns, rows);
  t.id = 'alerts-table';
  alerts.forEach((a, i) => {
    t.tBodies[0].rows[i].dataset.alertId = String(a.id);
  });
  return t;
}

function pager(f, total, ctx) {
  const first = total === 0 ? 0 : f.offset + 1;
  const last = Math.min(total, f.offset + f.limit);
  const go = (offset) => {
    const q = Object.assign({}, f, { offset: offset || '' });
    if (q.limit === 50) q.limit = '';
    ctx.setQuery(q);
  };
  return el('div', { class: 'pager' },
    el('button', { type: 'button', disabled: f.offset === 0, id: 'alerts-prev',
      onclick: () => go(Math.max(0, f.offset - f.limit)) }, 'Previous'),
    el('span', null, 'Alerts ', fmt.count(first), '\u2013', fmt.count(last), ' of ',
      el('span', { id: 'alerts-total', dataset: { total: String(total) } }, fmt.count(total))),
    el('button', { type: 'button', disabled: last >= total, id: 'alerts-next',
      onclick: () => go(f.offset + f.limit) }, 'Next'));
}

export function render(root, ctx) {
  const f = filtersOf(ctx.query);
  const result = el('div', { id: 'alerts-result' }, 'Loading...');
  const description = STATES.find(([s]) => s === f.state)[2];
  root.append(el('h1', null, 'Alerts'), tabs(f),
    el('p', { class: 'muted' }, description, ' Times are packet times, in UTC.'),
    filterForm(f, ctx), result);

  const load = async () => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v !== '' && v !== undefined) params.set(k, v);
    let doc;
    try {
      doc = await api('/alerts?' + params.toString());
    } catch (err) {
      if (err instanceof ApiError && err.code === 'alert_store_unavailable') {
        clear(result).appendChild(el('p', { class: 'muted' }, 'No alert store: ', err.message));
      } else {
        clear(result).appendChild(errorNote(err));
      }
      return;
    }
    // Past the end (alerts expired since the link was made): back to the
    // last page that has rows.
    if (doc.alerts.length === 0 && doc.total > 0 && f.offset > 0) {
      const q = Object.assign({}, f, {
        offset: Math.floor((doc.total - 1) / f.limit) * f.limit || '' });
      if (q.limit === 50) q.limit = '';
      ctx.setQuery(q);
      return;
    }
    clear(result).append(pager(f, doc.total, ctx),
      doc.alerts.length ? scrollBox(alertsTable(f, doc.alerts))
        : el('p', { class: 'muted', id: 'alerts-none' }, 'No alert matches.'));
  };
  // Engaged alerts change while vigild runs; past ones only grow, which
  // a refresh shows too.
  return every(REFRESH_MS, load);
}
