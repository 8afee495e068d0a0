// Small DOM helpers shared by the pages: elements, formatting in the viewer's locale and time zone,
// tables, forms, the pager, confirmations and the inline display of the API's problems.

/** An element: h('a', { href: '/x', class: 'c', on: { click } }, 'text', child, [more]). */
export function h(tag, props, ...children) {
  const el = tag === 'svg' || SVG_TAGS.has(tag)
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (name === 'class') {
      el.setAttribute('class', value);
    } else if (name === 'text') {
      el.textContent = value;
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name in el && !(el instanceof SVGElement) && typeof value !== 'string') {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

const SVG_TAGS = new Set(['g', 'rect', 'path', 'line', 'text', 'title', 'desc', 'polyline', 'circle']);

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

// --- formatting: the viewer's locale (thousands separators) and time zone -------------------------

const numbers = new Intl.NumberFormat();
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const decimals = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const times = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortTimes = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export const fmt = {
  int: (n) => (n === null || n === undefined ? '—' : numbers.format(n)),
  dec: (n) => (n === null || n === undefined ? '—' : decimals.format(n)),
  pct: (x) => (x === null || x === undefined || Number.isNaN(x) ? '—' : percent.format(x)),
  time: (iso) => (iso ? times.format(new Date(iso)) : '—'),
  short: (iso) => (iso ? shortTimes.format(new Date(iso)) : '—'),
  limit: (n) => (n === null || n === undefined ? '—' : n === 0 ? 'none' : numbers.format(n)),
  quota: (n) => (n === null || n === undefined || n < 0 ? 'unlimited' : numbers.format(n)),
};

/** An ISO instant as a datetime-local input's value, in the viewer's zone. */
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

/** A datetime-local input's value (viewer's zone) as an ISO instant, or ''. */
export function fromLocalInput(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// --- building blocks -------------------------------------------------------------------------------

export function heading(title, ...extra) {
  return h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, title), extra);
}

export function section(title, ...content) {
  return h('section', { class: 'card' }, h('h2', {}, title), content);
}

export function loading(what = 'Loading…') {
  return h('p', { class: 'loading', role: 'status' }, what);
}

export function empty(text) {
  return h('p', { class: 'empty' }, text);
}

export function badge(status) {
  return h('span', { class: `badge status-${status}` }, status);
}

/**
 * Marks a control that changes something: shown only to an admin session (the style sheet hides
 * it until the session's role is known to be admin). The API still refuses a viewer's change.
 */
export function adminOnly(el) {
  el.classList.add('admin-only');
  return el;
}

/** A provider key's health as the data planes report it: circuit badge and cooldown left. */
export function circuitBadge(health) {
  if (!health) return '—';
  const label = { closed: 'closed', half_open: 'half-open', open: 'open' }[health.circuit_state] || health.circuit_state;
  const where = health.data_planes > 1 && health.circuit_state !== 'closed'
    ? ` on ${fmt.int(health.circuit_state === 'open' ? health.open_on : health.half_open_on)} of ${fmt.int(health.data_planes)}`
    : '';
  return h('span', { class: `badge circuit-${health.circuit_state}`, title: health.reported_at ? `reported ${fmt.time(health.reported_at)}` : 'no recent report: closed' }, `${label}${where}`);
}

/** Time left until an ISO instant, as "2 min 5 s (until 12:03:05)" in the viewer's zone, or null. */
export function remaining(iso, now = Date.now()) {
  if (!iso) return null;
  const ms = new Date(iso).getTime() - now;
  if (!(ms > 0)) return null;
  const s = Math.ceil(ms / 1000);
  const text = s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
  return `${text} (until ${times.format(new Date(iso))})`;
}

/** The API's problem+json, shown where the action was. */
export function problemBox(error) {
  if (error && error.name === 'AbortError') return null;
  const status = error && error.status ? `${error.status} ${error.title}` : 'Error';
  return h(
    'div',
    { class: 'problem', role: 'alert' },
    h('strong', {}, status),
    error && error.detail ? h('span', {}, ` — ${error.detail}`) : null,
    error && error.field ? h('span', { class: 'problem-field' }, ' (field: ', h('code', {}, error.field), ')') : null,
  );
}

/**
 * A table: columns are { label, value(row) → node or text, num: right-aligned }. Wrapped in a
 * region that scrolls sideways on narrow screens and can be scrolled with the keyboard.
 */
export function table(columns, rows, { caption, emptyText = 'Nothing to show.' } = {}) {
  if (!rows || rows.length === 0) return empty(emptyText);
  return h(
    'div',
    { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': caption || 'table' },
    h(
      'table',
      {},
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: cellClass(c) }, c.label)))),
      h(
        'tbody',
        {},
        rows.map((row) => h('tr', {}, columns.map((c) => h('td', { class: cellClass(c), 'data-label': c.label }, c.value(row))))),
      ),
    ),
  );
}

/** A column's cell class: num right-aligns it, adminOnly hides it from viewers. */
function cellClass(column) {
  return [column.num ? 'num' : null, column.adminOnly ? 'admin-only' : null].filter(Boolean).join(' ') || null;
}

/** A definition list of [label, value] pairs. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** A labelled form control. type: text, number, search, select, datetime, textarea, checkbox. */
export function field(spec) {
  const id = `f-${spec.name}-${(fieldCount += 1)}`;
  let control;
  if (spec.type === 'select') {
    control = h(
      'select',
      { id, name: spec.name, required: spec.required },
      spec.options.map(([value, label]) => h('option', { value, selected: String(spec.value ?? '') === String(value) }, label)),
    );
  } else if (spec.type === 'textarea') {
    control = h('textarea', { id, name: spec.name, rows: spec.rows || 3, placeholder: spec.placeholder }, spec.value ?? '');
  } else if (spec.type === 'checkbox') {
    control = h('input', { id, name: spec.name, type: 'checkbox', checked: !!spec.value });
  } else {
    control = h('input', {
      id,
      name: spec.name,
      type: spec.type === 'datetime' ? 'datetime-local' : spec.type || 'text',
      value: spec.type === 'datetime' ? toLocalInput(spec.value) : spec.value ?? '',
      placeholder: spec.placeholder,
      required: spec.required,
      min: spec.min,
      max: spec.max,
      inputmode: spec.type === 'number' ? 'numeric' : undefined,
      autocomplete: spec.autocomplete || 'off',
    });
  }
  if (spec.type === 'datetime') control.dataset.datetime = '1';
  return h(
    'div',
    { class: `field field-${spec.type || 'text'}` },
    h('label', { for: id }, spec.label),
    control,
    spec.hint ? h('small', {}, spec.hint) : null,
  );
}
let fieldCount = 0;

/** A form's values by name; datetime inputs as ISO instants, empty ones left out. */
export function formValues(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') values[el.name] = el.checked;
    else if (el.dataset.datetime) values[el.name] = fromLocalInput(el.value);
    else values[el.name] = el.value.trim();
  }
  return values;
}

/** Comma- or line-separated text as a list. */
export function list(text) {
  return (text || '').split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

/** Integer or null for an empty field; refuses anything else with a message naming the field. */
export function intOrNull(values, name) {
  const v = values[name];
  if (v === '' || v === undefined) return null;
  if (!/^-?\d+$/.test(v)) throw new ApiFieldError(name, `${name} must be a whole number`);
  return Number(v);
}

/** A mistake found before calling the API, shown like the API's own problems. */
export class ApiFieldError extends Error {
  constructor(field, detail) {
    super(detail);
    this.status = 0;
    this.title = 'Check the form';
    this.detail = detail;
    this.field = field;
  }
}

/**
 * A filter form whose values live in the URL: submitting navigates to the same view with them
 * (and from the first page), so the view can be shared and reloaded.
 */
export function filterForm(view, fields, { label = 'Filters' } = {}) {
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': label,
      on: {
        submit: (event) => {
          event.preventDefault();
          const values = formValues(form);
          const changes = { page: null, cursor: null };
          for (const f of fields) changes[f.name] = values[f.name] || null;
          view.go(view.link(changes));
        },
      },
    },
    fields.map((f) => field({ ...f, value: view.params.get(f.name) ?? f.value })),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Apply'), h('a', { href: view.path, class: 'button secondary' }, 'Clear')),
  );
  return form;
}

/** Page-mode and cursor-mode paging as plain links (keyboard, reload and share work). */
export function pager(view, result) {
  if ('next_cursor' in result) {
    return h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages' },
      view.params.get('cursor') ? h('a', { href: view.link({ cursor: null }) }, '« First') : null,
      result.next_cursor ? h('a', { href: view.link({ cursor: result.next_cursor }), rel: 'next' }, 'Next »') : h('span', {}, 'Last page'),
      view.params.get('mode') === 'cursor'
        ? h('a', { href: view.link({ mode: null, cursor: null, limit: null }), class: 'mode' }, 'Numbered pages')
        : null,
    );
  }
  const total = `${fmt.int(result.total)}${result.total_exact === false ? '+' : ''}`;
  const last = Math.max(1, result.total_pages);
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    result.page > 1 ? h('a', { href: view.link({ page: 1 }) }, '« First') : null,
    result.page > 1 ? h('a', { href: view.link({ page: result.page - 1 }), rel: 'prev' }, '‹ Previous') : null,
    h('span', { class: 'count' }, `Page ${fmt.int(result.page)} of ${fmt.int(last)}${result.total_exact === false ? '+' : ''} · ${total} in all`),
    result.page < last ? h('a', { href: view.link({ page: result.page + 1 }), rel: 'next' }, 'Next ›') : null,
    h(
      'form',
      {
        class: 'jump',
        on: {
          submit: (event) => {
            event.preventDefault();
            const n = Number(event.target.elements.page.value);
            if (Number.isInteger(n) && n >= 1) view.go(view.link({ page: n }));
          },
        },
      },
      h('label', {}, 'Go to page ', h('input', { name: 'page', type: 'number', min: '1', inputmode: 'numeric', class: 'narrow' })),
      h('button', { type: 'submit', class: 'secondary' }, 'Go'),
    ),
    h('a', { href: view.link({ mode: 'cursor', page: null, cursor: null }), class: 'mode' }, 'Cursor paging'),
  );
}

/** Page or cursor parameters for a list call, from the URL. */
export function paging(view, size = 50) {
  if (view.params.get('mode') === 'cursor') {
    return { cursor: view.params.get('cursor'), limit: view.params.get('limit') || size };
  }
  return { page: view.params.get('page') || 1, page_size: view.params.get('page_size') || size };
}

/**
 * Asks before an action, in a modal dialog (Escape or Cancel says no; focus starts on Cancel).
 */
export function confirmAction({ title, message, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, title),
        h('p', {}, message),
        h(
          'div',
          { class: 'buttons' },
          h('button', { value: 'cancel', class: 'secondary', autofocus: true }, 'Cancel'),
          h('button', { value: 'ok', class: danger ? 'danger' : null }, confirmLabel),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * A button that asks for confirmation, runs the change, and shows the outcome (or the API's
 * problem) in the given status element.
 */
export function actionButton(label, { confirm, run, status, done, danger = false }) {
  const button = h('button', { type: 'button', class: `${danger ? 'danger' : 'secondary'} admin-only` }, label);
  button.addEventListener('click', async () => {
    if (confirm && !(await confirmAction({ confirmLabel: label, danger, ...confirm }))) return;
    button.disabled = true;
    status.replaceChildren(loading('Working…'));
    try {
      const result = await run();
      status.replaceChildren();
      if (done) await done(result);
    } catch (e) {
      status.replaceChildren(problemBox(e));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** A secret shown once, with a copy button. */
export function secretOnce(label, secret) {
  const status = h('span', { class: 'copied', role: 'status' });
  return h(
    'div',
    { class: 'secret', role: 'alert' },
    h('p', {}, h('strong', {}, label), ' — shown only now: copy it somewhere safe.'),
    h('code', { class: 'secret-value' }, secret),
    h(
      'button',
      {
        type: 'button',
        on: {
          click: async () => {
            try {
              await navigator.clipboard.writeText(secret);
              status.textContent = 'Copied.';
            } catch {
              status.textContent = 'Copy failed: select the text and copy it.';
            }
          },
        },
      },
      'Copy',
    ),
    status,
  );
}

/** Loads with the view's signal and shows loading, then the result of render, or the problem. */
export async function load(target, fetcher, render) {
  target.replaceChildren(loading());
  try {
    const data = await fetcher();
    const content = render(data) ?? [];
    target.replaceChildren(...[content].flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
    return data;
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    target.replaceChildren(problemBox(e));
    return undefined;
  }
}

/**
 * A form that makes a change: submit(values, { form, status }) runs it; while it runs the button is
 * disabled, and a failure shows the API's problem under the form. Returns the form and its status.
 */
export function changeForm({ fields, submitLabel, submit, className = 'grid-form' }) {
  const status = h('div', { class: 'status' });
  const button = h('button', { type: 'submit' }, submitLabel);
  const form = h(
    'form',
    {
      class: className,
      on: {
        submit: async (event) => {
          event.preventDefault();
          status.replaceChildren();
          button.disabled = true;
          try {
            await submit(formValues(form), { form, status });
          } catch (e) {
            status.replaceChildren(problemBox(e));
          } finally {
            button.disabled = false;
          }
        },
      },
    },
    fields,
    h('div', { class: 'buttons' }, button),
  );
  return h('div', { class: 'change-form admin-only' }, form, status);
}

/** The list call's parameters named by these filters, from the URL. */
export function filterParams(view, filters) {
  const params = {};
  for (const f of filters) if (view.params.get(f.name)) params[f.name] = view.params.get(f.name);
  return params;
}
