// Users: the list with filters in the URL, and the creation form.
import { api } from '../api.js';
import { h, heading, section, table, fmt, load, badge, filterForm, filterParams, pager, paging, field, changeForm, intOrNull } from '../ui.js';

const FILTERS = [
  { name: 'search', label: 'Search', type: 'search', placeholder: 'name (3+ characters)' },
  { name: 'status', label: 'Status', type: 'select', options: [['', 'active and disabled'], ['active', 'active'], ['disabled', 'disabled'], ['deleted', 'deleted']] },
  { name: 'created_from', label: 'Created from', type: 'datetime' },
  { name: 'created_to', label: 'Created before', type: 'datetime' },
  { name: 'order', label: 'Order', type: 'select', options: [['', 'newest first'], ['asc', 'oldest first']] },
];

export async function render(view) {
  const results = h('div');
  view.main.append(heading('Users'), createSection(view), section('Find users', filterForm(view, FILTERS, { label: 'User filters' })), results);
  await load(results, () => api.get('/users', { ...filterParams(view, FILTERS), ...paging(view) }, view.signal), (page) => [
    table(
      [
        { label: 'Name', value: (u) => h('a', { href: `/console/users/${u.id}` }, u.name) },
        { label: 'Id', num: true, value: (u) => String(u.id) },
        { label: 'Status', value: (u) => badge(u.status) },
        { label: 'RPM limit', num: true, value: (u) => fmt.limit(u.rpm_limit) },
        { label: 'Concurrency limit', num: true, value: (u) => fmt.limit(u.concurrency_limit) },
        { label: 'Keys', value: (u) => h('a', { href: `/console/keys?user_id=${u.id}` }, 'keys') },
        { label: 'Created', value: (u) => fmt.time(u.created_at) },
      ],
      page.items,
      { caption: 'Users', emptyText: 'No user matches these filters.' },
    ),
    pager(view, page),
  ]);
}

/** Name and limits of a user, as a JSON body (empty limits are not sent). */
export function userBody(values) {
  const body = { name: values.name };
  for (const n of ['rpm_limit', 'concurrency_limit']) if (intOrNull(values, n) !== null) body[n] = intOrNull(values, n);
  return body;
}

function createSection(view) {
  const form = changeForm({
    fields: [
      field({ name: 'name', label: 'Name', required: true }),
      field({ name: 'rpm_limit', label: 'Requests per minute', type: 'number', min: 0, hint: '0 or empty = no limit' }),
      field({ name: 'concurrency_limit', label: 'Concurrent requests', type: 'number', min: 0, hint: '0 or empty = no limit' }),
    ],
    submitLabel: 'Create user',
    submit: async (values) => {
      const user = await api.post('/users', userBody(values));
      view.go(`/console/users/${user.id}`);
    },
  });
  return h('details', { class: 'card create admin-only' }, h('summary', {}, 'Create a user'), form);
}
