// Errors: the list with its filters in the URL (cursor paging, newest first), and the lookup of
// the error nearest to a moment for a key (what a support ticket usually gives).
import { api } from '../api.js';
import { h, heading, section, load, filterForm, filterParams, pager, facts, fmt, timeZone } from '../ui.js';
import { errorTable } from './key.js';

const FILTERS = [
  { name: 'key_id', label: 'Key id', type: 'number', min: 1 },
  { name: 'provider_key_id', label: 'Provider key id', type: 'number', min: 1 },
  { name: 'model', label: 'Model' },
  { name: 'status_code', label: 'Status code', type: 'number', min: 100, max: 599 },
  { name: 'from', label: 'From', type: 'datetime' },
  { name: 'to', label: 'Before', type: 'datetime' },
];

const LOOKUP = [
  { name: 'lookup_key_id', label: 'Key id', type: 'number', min: 1 },
  { name: 'lookup_timestamp', label: `Around (${timeZone})`, type: 'datetime' },
  { name: 'lookup_status_code', label: 'Status code', type: 'number', min: 100, max: 599 },
  { name: 'lookup_window_seconds', label: 'Within seconds', type: 'number', min: 1, max: 300, placeholder: '60' },
];

export async function render(view) {
  const results = h('div');
  const lookup = h('div');
  view.main.append(
    heading('Errors'),
    section('Find errors', filterForm(view, FILTERS, { label: 'Error filters' })),
    results,
    section('Nearest error of a key', h('p', { class: 'hint' }, 'The key’s error closest to a moment, one with the status code first.'), filterForm(view, LOOKUP, { label: 'Error lookup' }), lookup),
  );
  const s = view.signal;
  const params = filterParams(view, FILTERS);
  const lookupParams = {};
  for (const f of LOOKUP) if (view.params.get(f.name)) lookupParams[f.name.slice('lookup_'.length)] = view.params.get(f.name);
  await Promise.all([
    load(results, () => api.get('/errors', { ...params, cursor: view.params.get('cursor'), limit: 50 }, s), (page) => [errorTable(page.items), pager(view, page)]),
    lookupParams.key_id && lookupParams.timestamp
      ? load(lookup, () => api.get('/errors/lookup', lookupParams, s), (r) => [
        facts([
          ['Match', r.match === 'same_status_code' ? 'same status code' : 'any status code (none with that code in the window)'],
          ['Offset', `${fmt.int(r.offset_ms)} ms from the moment asked`],
        ]),
        errorTable([r.error]),
      ])
      : null,
  ]);
}
