// Keys: the paginated list with its filters and sort in the URL, and the creation form (the
// secret is shown once). Each key's page (key.js) holds its actions.
import { api } from '../api.js';
import {
  h, heading, section, table, fmt, load, badge, filterForm, filterParams, pager, paging, field,
  changeForm, secretOnce, list, intOrNull, ApiFieldError,
} from '../ui.js';

export const STATUSES = ['active', 'disabled', 'expired', 'quota_exhausted', 'revoked'];

const FILTERS = [
  { name: 'search', label: 'Search', type: 'search', placeholder: 'name or tg- prefix (3+ characters)' },
  { name: 'status', label: 'Status', type: 'select', options: [['', 'any'], ...STATUSES.map((s) => [s, s])] },
  { name: 'exclude_statuses', label: 'Exclude statuses', placeholder: 'revoked,expired' },
  { name: 'user_id', label: 'User id', type: 'number', min: 1 },
  { name: 'group_id', label: 'Group id', type: 'number', min: 1 },
  { name: 'created_from', label: 'Created from', type: 'datetime' },
  { name: 'created_to', label: 'Created before', type: 'datetime' },
  { name: 'last_used_from', label: 'Last used from', type: 'datetime' },
  { name: 'last_used_to', label: 'Last used before', type: 'datetime' },
  { name: 'sort', label: 'Sort by', type: 'select', options: [['', 'created'], ['last_used', 'last used'], ['requests', 'requests'], ['tokens', 'tokens']] },
  { name: 'order', label: 'Order', type: 'select', options: [['', 'newest / most first'], ['asc', 'oldest / least first']] },
];

export async function render(view) {
  const results = h('div', { id: 'key-results' });
  view.main.append(
    heading('Keys'),
    createSection(),
    section('Find keys', filterForm(view, FILTERS, { label: 'Key filters' })),
    results,
  );
  await load(results, () => api.get('/keys', { ...filterParams(view, FILTERS), ...paging(view) }, view.signal), (page) => [
    table(
      [
        { label: 'Name', value: (k) => h('a', { href: `/console/keys/${k.id}` }, k.name) },
        { label: 'Prefix', value: (k) => h('code', {}, k.prefix) },
        { label: 'Status', value: (k) => badge(k.status) },
        { label: 'User', value: (k) => h('a', { href: `/console/users/${k.user_id}` }, `#${k.user_id}`) },
        { label: 'Requests', num: true, value: (k) => fmt.int(k.requests) },
        { label: 'Tokens', num: true, value: (k) => fmt.int(k.total_tokens) },
        { label: 'Quota', num: true, value: (k) => `${fmt.int(k.quota_used)} / ${fmt.quota(k.quota_limit)}` },
        { label: 'Last used', value: (k) => fmt.time(k.last_accessed_at) },
        { label: 'Created', value: (k) => fmt.time(k.created_at) },
      ],
      page.items,
      { caption: 'Keys', emptyText: 'No key matches these filters.' },
    ),
    pager(view, page),
  ]);
}

/** The limit fields of a key, filled from an existing key when editing. */
export function limitFields(key = {}) {
  return [
    field({ name: 'rpm_limit', label: 'Requests per minute', type: 'number', min: 0, value: key.rpm_limit, hint: '0 = no limit' }),
    field({ name: 'tpm_limit', label: 'Tokens per minute', type: 'number', min: 0, value: key.tpm_limit, hint: '0 = no limit' }),
    field({ name: 'concurrency_limit', label: 'Concurrent requests', type: 'number', min: 0, value: key.concurrency_limit, hint: '0 = no limit' }),
    field({ name: 'quota_limit', label: 'Token quota', type: 'number', min: -1, value: key.quota_limit, hint: '-1 = unlimited' }),
    field({ name: 'expires_at', label: 'Expires at', type: 'datetime', value: key.expires_at, hint: 'empty = never' }),
    field({ name: 'group_ids', label: 'Provider group ids', value: (key.group_ids || []).join(', '), hint: 'comma-separated' }),
    field({ name: 'allowed_models', label: 'Allowed models', type: 'textarea', value: (key.allowed_models || []).join('\n'), hint: 'one per line; empty = every model of its groups' }),
    field({ name: 'ip_allow', label: 'Allowed IPs (CIDR)', type: 'textarea', value: (key.ip_allow || []).join('\n'), hint: 'one per line; empty = any' }),
    field({ name: 'ip_deny', label: 'Denied IPs (CIDR)', type: 'textarea', value: (key.ip_deny || []).join('\n') }),
  ];
}

/** The JSON body of the limit fields: numbers left empty are not sent. */
export function limitBody(values, { clearExpiry = false } = {}) {
  const body = {};
  for (const name of ['rpm_limit', 'tpm_limit', 'concurrency_limit', 'quota_limit']) {
    const n = intOrNull(values, name);
    if (n !== null) body[name] = n;
  }
  if (values.expires_at) body.expires_at = values.expires_at;
  else if (clearExpiry) body.expires_at = null;
  body.group_ids = list(values.group_ids).map((id) => {
    if (!/^\d+$/.test(id)) throw new ApiFieldError('group_ids', `group id "${id}" is not a number`);
    return Number(id);
  });
  body.allowed_models = list(values.allowed_models);
  body.ip_allow = list(values.ip_allow);
  body.ip_deny = list(values.ip_deny);
  return body;
}

function createSection() {
  const form = changeForm({
    fields: [
      field({ name: 'user_id', label: 'User id', type: 'number', min: 1, required: true }),
      field({ name: 'name', label: 'Name', required: true }),
      limitFields(),
    ],
    submitLabel: 'Create key',
    submit: async (values, { form: f, status }) => {
      const created = await api.post('/keys', { user_id: intOrNull(values, 'user_id'), name: values.name, ...limitBody(values) });
      f.reset();
      status.replaceChildren(
        secretOnce(`Key ${created.name} (#${created.id}) created`, created.key),
        h('p', {}, h('a', { href: `/console/keys/${created.id}` }, 'Open the key')),
      );
    },
  });
  return h('details', { class: 'card create admin-only' }, h('summary', {}, 'Create a key'), form);
}
