// The parts of a live list page (flows, hosts): a filter form, sortable
// column headers and a pager, all driven by the route's query so that a
// filtered, sorted page can be bookmarked and the back button works.
// Query parameters carry the API's own names, so the route's query is
// passed to the API after a check against the page's list of names. A
// failed request either keeps the last list or replaces it with a note.
import { ApiError } from '../api.js';
import { clear, el } from '../dom.js';
import * as fmt from '../format.js';

// vigil-web rejects a page whose offset + limit is above this.
export const OFFSET_LIMIT_MAX = 10000;
export const LIMITS = [25, 50, 100, 200, 500];

// Reads the list state from <query> (URLSearchParams): the filters named
// in <filterNames>, plus sort, order, offset and limit.
export function readState(query, filterNames, defaultSort) {
  const filters = {};
  for (const name of filterNames) {
    const v = (query.get(name) || '').trim();
    if (v !== '') filters[name] = v;
  }
  const limit = LIMITS.includes(Number(query.get('limit'))) ? Number(query.get('limit')) : 50;
  let offset = Math.max(0, Math.floor(Number(query.get('offset')) || 0));
  offset = Math.min(offset, OFFSET_LIMIT_MAX - limit);
  offset -= offset % limit;
  return {
    filters,
    sort: query.get('sort') || defaultSort,
    order: query.get('order') === 'asc' ? 'asc' : 'desc',
    offset,
    limit,
  };
}

// The route query of <state>, without the values that are defaults.
export function stateQuery(state, defaultSort) {
  const q = Object.assign({}, state.filters);
  if (state.sort !== defaultSort) q.sort = state.sort;
  if (state.order !== 'desc') q.order = state.order;
  if (state.offset) q.offset = state.offset;
  if (state.limit !== 50) q.limit = state.limit;
  return q;
}

// The API parameters of <state>: filters, sort, order and the page.
export function apiParams(state) {
  return Object.assign({}, state.filters, {
    sort: state.sort, order: state.order, offset: state.offset, limit: state.limit,
  });
}

// Returns the state after a click on the header of <key>: the same key
// flips the order, another key sorts descending. Either way, page one.
export function sortBy(state, key) {
  let order = 'desc';
  if (state.sort === key && state.order === 'desc') order = 'asc';
  return Object.assign({}, state, { sort: key, order, offset: 0 });
}

// A filter form. <fields> are { name, label, type ('text', 'number',
// 'select'), options ([value, text] for select), placeholder, min, max,
// suggestions (values offered in a datalist) }. <onapply> gets the new
// filter values when the form is submitted or a select changes.
export function filterForm(id, fields, values, onapply) {
  const controls = fields.map((f) => {
    let input;
    if (f.type === 'select') {
      input = el('select', { name: f.name }, f.options.map(([v, text]) =>
        el('option', { value: v, selected: v === (values[f.name] || '') }, text)));
      input.addEventListener('change', () => form.requestSubmit());
    } else {
      input = el('input', {
        name: f.name, type: f.type || 'text', value: values[f.name] || '',
        placeholder: f.placeholder || '', min: f.min, max: f.max,
      });
      if (f.suggestions) {
        const listId = id + '-' + f.name + '-list';
        input.setAttribute('list', listId);
        return el('label', null, f.label, input, el('datalist', { id: listId },
          f.suggestions.map((s) => el('option', { value: s }))));
      }
    }
    return el('label', null, f.label, input);
  });
  const form = el('form', { id, class: 'filters' }, controls,
    el('button', { type: 'submit' }, 'Apply'),
    el('button', { type: 'button', onclick: () => onapply({}) }, 'Clear'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const next = {};
    for (const f of fields) {
      const v = String(form.elements[f.name].value || '').trim();
      if (v !== '') next[f.name] = v;
    }
    onapply(next);
  });
  return form;
}

// A pager: "first-last of total", previous and next, and the page size.
// <onpage> gets { offset, limit }.
export function pager(id, state, total, onpage) {
  const reachable = Math.min(total, OFFSET_LIMIT_MAX);
  const first = total === 0 ? 0 : state.offset + 1;
  const last = Math.min(state.offset + state.limit, total);
  const prev = el('button', {
    type: 'button', disabled: state.offset === 0, dataset: { page: 'prev' },
    onclick: () => onpage({ offset: Math.max(0, state.offset - state.limit), limit: state.limit }),
  }, '\u2190 Previous');
  const next = el('button', {
    type: 'button', disabled: state.offset + state.limit >= reachable,
    dataset: { page: 'next' },
    onclick: () => onpage({ offset: state.offset + state.limit, limit: state.limit }),
  }, 'Next \u2192');
  const size = el('select', { name: 'limit' }, LIMITS.map((n) =>
    el('option', { value: String(n), selected: n === state.limit }, String(n) + ' a page')));
  size.addEventListener('change', () => onpage({ offset: 0, limit: Number(size.value) }));
  return el('div', { class: 'pager', id }, prev, next,
    el('span', { class: 'muted' }, fmt.count(first), '\u2013', fmt.count(last), ' of ',
      fmt.count(total)),
    size,
    total > OFFSET_LIMIT_MAX ? el('span', { class: 'muted' },
      'Only the first ', fmt.count(OFFSET_LIMIT_MAX), ' can be paged: narrow the filters.') : null);
}

// Returns whether the list drawn before the failed request <err> stays on
// the page. It stays only when one was drawn (<drawn>) and vigild or
// vigil-web is unavailable for a while (503, or no response). After any
// other error, such as a rejected filter, no list matches the query.
export function keepsList(err, drawn) {
  return drawn && err instanceof ApiError && (err.status === 503 || err.status === 0);
}

// Shows that the page has no list after a failed request. <list> gets
// <text> in place of "Loading..." or an old table, the pager is removed,
// and <countLine> is hidden until a list arrives. The caller shows the
// error note.
export function showNoList(list, pagerHolder, countLine, text) {
  list.dataset.state = 'error';
  clear(list).appendChild(el('p', { class: 'muted' }, text));
  clear(pagerHolder);
  countLine.hidden = true;
}

// Sets data-field on every cell of <tableNode>'s rows from <keys> (one
// per column) and data-<rowAttr> on each body row from <rowValues>, so
// that tests and scripts can find a value without parsing the layout.
export function markTable(tableNode, keys, rowAttr, rowValues) {
  const rows = tableNode.tBodies[0].rows;
  for (let r = 0; r < rows.length; r++) {
    if (rowAttr) rows[r].dataset[rowAttr] = rowValues[r];
    const cells = rows[r].cells;
    for (let c = 0; c < cells.length && c < keys.length; c++) cells[c].dataset.field = keys[c];
  }
  return tableNode;
}
