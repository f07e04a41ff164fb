// DOM helpers. Every string goes in through textContent or a property,
// never through innerHTML, so text from traffic (host names, SNI) and
// from plugins is shown as text and never parsed as markup.

// Creates <tag> with <props> (className, href, title, dataset, on*
// handlers, or any property) and appends <children>: nodes, strings
// (as text) or arrays of them; null and undefined are skipped.
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else node[key] = value;
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
  return node;
}

// <text> as a span that may wrap after each '_', '.', '/' or '-' (a <wbr>
// there) and nowhere else, for names such as alert type keys.
export function breakable(text) {
  const parts = String(text).split(/(?<=[_./-])/);
  return el('span', null, parts.map((part, i) => (i ? [el('wbr'), part] : part)));
}

// <address> (an IP address) as a span that may wrap after each ':' (a
// <wbr> there) and nowhere else, so an IPv6 address breaks between its
// groups.
export function breakableAddress(address) {
  const parts = String(address).split(/(?<=:)/);
  return el('span', null, parts.map((part, i) => (i ? [el('wbr'), part] : part)));
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// A link inside the application: <path> is a route such as /flows and
// <query> an object of parameters. Only '#' links are built, so no value
// can turn a link into a script URL.
export function route(path, query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const text = q.toString();
  return '#' + path + (text ? '?' + text : '');
}

export function link(path, query, text) {
  return el('a', { href: route(path, query) }, text);
}

// A table: <columns> are { label, title, num, sort, wrap, breaks,
// details } and <rows> arrays of cells (nodes or text). A `title` is the
// header's tooltip, for a shortened label. `wrap` lets a column of long
// text wrap (mid-word only past its minimum width), `breaks` lets it wrap
// at spaces and at the <wbr> of breakable() only, `details` marks the
// alert details column. <sort> is { key, order, onsort } for sortable
// headers.
export function table(columns, rows, sort) {
  const head = el('tr', null, columns.map((c) => {
    const th = el('th', { class: c.num ? 'num' : '', title: c.title }, c.label);
    if (sort && c.sort) {
      th.classList.add('sortable');
      if (sort.key === c.sort) th.classList.add('sorted-' + sort.order);
      th.dataset.sort = c.sort;
      th.addEventListener('click', () => sort.onsort(c.sort));
    }
    return th;
  }));
  const cellClass = columns.map((c) => [c.num ? 'num' : '', c.wrap ? 'wrap' : '',
    c.breaks ? 'breaks' : '', c.details ? 'details' : ''].filter(Boolean).join(' '));
  const body = rows.map((cells) => el('tr', null, cells.map((cell, i) =>
    el('td', { class: cellClass[i] || '' }, cell))));
  return el('table', null, el('thead', null, head), el('tbody', null, body));
}

// A box that scrolls <node> (a wide table) sideways instead of letting it
// overflow the page.
export function scrollBox(node) {
  return el('div', { class: 'table-scroll' }, node);
}

// A two-column table of [label, value] pairs.
export function kv(pairs) {
  return el('table', { class: 'kv' }, el('tbody', null,
    pairs.map(([k, v]) => el('tr', null, el('th', null, k), el('td',
      { class: 'wrap' }, v)))));
}

export function panel(title, ...children) {
  return el('section', { class: 'panel' }, title ? el('h2', null, title) : null,
    children);
}
