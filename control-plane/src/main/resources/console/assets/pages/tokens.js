// Operator tokens (admin only): the list, creation (the secret shown once) and revocation, which
// also ends every console session opened with the token.
import { api } from '../api.js';
import { h, heading, section, table, load, badge, pager, paging, field, changeForm, secretOnce, actionButton, fmt } from '../ui.js';

export async function render(view) {
  const results = h('div');
  const status = h('div', { class: 'status' });
  view.main.append(heading('Operator tokens'), createSection(view), results, status);
  await load(results, () => api.get('/operator-tokens', paging(view), view.signal), (page) => [
    table(
      [
        { label: 'Name', value: (t) => t.name },
        { label: 'Id', num: true, value: (t) => String(t.id) },
        { label: 'Role', value: (t) => t.role },
        { label: 'Prefix', value: (t) => h('code', {}, t.prefix) },
        { label: 'State', value: (t) => badge(t.revoked_at ? 'revoked' : 'active') },
        { label: 'Created', value: (t) => `${fmt.time(t.created_at)} by ${t.created_by}` },
        { label: 'Revoke', adminOnly: true, value: (t) => (t.revoked_at ? fmt.time(t.revoked_at) : actionButton('Revoke', {
          danger: true,
          confirm: { title: `Revoke token ${t.name}?`, message: 'It stops working at once, and every console session opened with it ends.' },
          run: () => api.del(`/operator-tokens/${t.id}`),
          status,
          done: () => view.reload(),
        })) },
      ],
      page.items,
      { caption: 'Operator tokens', emptyText: 'No operator tokens yet.' },
    ),
    pager(view, page),
  ]);
}

function createSection() {
  const form = changeForm({
    className: 'inline-form',
    fields: [
      field({ name: 'name', label: 'Name', required: true }),
      field({ name: 'role', label: 'Role', type: 'select', options: [['viewer', 'viewer (read only)'], ['admin', 'admin']] }),
    ],
    submitLabel: 'Create token',
    submit: async (v, { form: f, status }) => {
      const created = await api.post('/operator-tokens', { name: v.name, role: v.role });
      f.reset();
      status.replaceChildren(secretOnce(`Token ${created.name} (${created.role}) created`, created.token));
    },
  });
  return h('details', { class: 'card create admin-only' }, h('summary', {}, 'Create a token'), form);
}
