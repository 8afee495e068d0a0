// The audit log: every change, who made it and the resource before and after (never a secret).
import { api } from '../api.js';
import { h, heading, section, table, load, filterForm, filterParams, pager, fmt } from '../ui.js';

const FILTERS = [
  { name: 'entity_type', label: 'Entity type', type: 'select', options: [['', 'any'], ['api_key', 'key'], ['user', 'user'], ['provider_group', 'provider group'], ['provider_key', 'provider key'], ['user_group_limit', 'RPM override'], ['operator_token', 'operator token']] },
  { name: 'entity_id', label: 'Entity id' },
  { name: 'actor', label: 'Actor', placeholder: 'bootstrap or token:<id>' },
  { name: 'from', label: 'From', type: 'datetime' },
  { name: 'to', label: 'Before', type: 'datetime' },
];

export async function render(view) {
  const results = h('div');
  view.main.append(heading('Audit log'), section('Filter', filterForm(view, FILTERS, { label: 'Audit filters' })), results);
  await load(results, () => api.get('/audit-log', { ...filterParams(view, FILTERS), cursor: view.params.get('cursor'), limit: 50 }, view.signal), (page) => [
    table(
      [
        { label: 'When', value: (e) => fmt.time(e.occurred_at) },
        { label: 'Actor', value: (e) => e.actor },
        { label: 'Action', value: (e) => e.action },
        { label: 'Entity', value: (e) => `${e.entity_type} #${e.entity_id}` },
        { label: 'Change', value: (e) => h('details', {}, h('summary', {}, 'before / after'), h('pre', {}, JSON.stringify({ before: e.before, after: e.after }, null, 2))) },
      ],
      page.items,
      { caption: 'Audit log', emptyText: 'No entries match.' },
    ),
    pager(view, page),
  ]);
}
