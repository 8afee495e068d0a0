// One user: limits, actions, its (user, group) RPM overrides and this minute's RPM use.
import { api } from '../api.js';
import { h, heading, section, table, facts, fmt, load, badge, actionButton, field, changeForm, intOrNull, adminOnly } from '../ui.js';
import { liveRpm } from './key.js';
import { userBody } from './users.js';

export async function render(view) {
  const id = view.id;
  const details = h('div');
  const actionsStatus = h('div', { class: 'status' });
  const actions = h('div', { class: 'actions' });
  const overrides = h('div');
  const rpm = h('div', { 'aria-live': 'polite' });
  view.main.append(
    heading(`User #${id}`, h('a', { href: '/console/users', class: 'back' }, '← All users')),
    section('Details', details, h('p', {}, h('a', { href: `/console/keys?user_id=${id}` }, 'This user’s keys'))),
    adminOnly(section('Actions', actions, actionsStatus)),
    section('RPM overrides per provider group', h('p', { class: 'hint' }, 'An override replaces the group’s RPM limit for this user: empty inherits it, 0 exempts the user, a number limits them.'), overrides, overrideForm(id, () => loadOverrides())),
    section('Requests per minute, now', rpm),
  );
  const s = view.signal;
  const show = (user) => {
    details.replaceChildren(facts([
      ['Name', user.name],
      ['Status', badge(user.status)],
      ['RPM limit', fmt.limit(user.rpm_limit)],
      ['Concurrency limit', fmt.limit(user.concurrency_limit)],
      ['Created', fmt.time(user.created_at)],
      ['Updated', fmt.time(user.updated_at)],
    ]));
    actions.replaceChildren(...userActions(user, actionsStatus, show));
  };
  const loadOverrides = () => load(overrides, () => api.get(`/users/${id}/group-limits`, {}, s), (r) =>
    table(
      [
        { label: 'Provider group', value: (o) => h('a', { href: `/console/providers?group=${o.group_id}` }, `#${o.group_id}`) },
        { label: 'RPM override', num: true, value: (o) => (o.rpm_override === null ? 'inherit' : o.rpm_override === 0 ? 'exempt' : fmt.int(o.rpm_override)) },
        { label: 'Updated', value: (o) => fmt.time(o.updated_at) },
        { label: 'Clear', adminOnly: true, value: (o) => actionButton('Clear', {
          confirm: { title: `Clear the override for group #${o.group_id}?`, message: 'The user inherits the group’s RPM limit again.' },
          run: () => api.del(`/users/${id}/group-limits/${o.group_id}`),
          status: overrides,
          done: loadOverrides,
        }) },
      ],
      r.items,
      { caption: 'Overrides', emptyText: 'No overrides: every group’s own limit applies.' },
    ));
  await Promise.all([
    load(details, () => api.get(`/users/${id}`, {}, s), () => '').then((user) => user && show(user)),
    loadOverrides(),
    liveRpm(view, `/users/${id}/rpm-status`, rpm),
  ]);
}

function userActions(user, status, show) {
  const buttons = [];
  const reload = async () => show(await api.get(`/users/${user.id}`));
  if (user.status !== 'deleted') {
    const next = user.status === 'active' ? 'disabled' : 'active';
    buttons.push(actionButton(next === 'disabled' ? 'Disable' : 'Enable', {
      confirm: { title: `${next === 'disabled' ? 'Disable' : 'Enable'} user ${user.name}?`, message: next === 'disabled' ? 'None of their keys is accepted while the user is disabled.' : 'Their keys are accepted again.' },
      run: () => api.patch(`/users/${user.id}`, { status: next }),
      status,
      done: show,
    }));
    buttons.push(actionButton('Delete', {
      danger: true,
      confirm: { title: `Delete user ${user.name}?`, message: 'Every key of the user is revoked in the same step. This cannot be undone.' },
      run: () => api.del(`/users/${user.id}`),
      status,
      done: reload,
    }));
    buttons.push(limitsForm(user, show));
  }
  return buttons;
}

function limitsForm(user, show) {
  const form = changeForm({
    className: 'inline-form',
    fields: [
      field({ name: 'name', label: 'Name', value: user.name, required: true }),
      field({ name: 'rpm_limit', label: 'RPM limit', type: 'number', min: 0, value: user.rpm_limit }),
      field({ name: 'concurrency_limit', label: 'Concurrency limit', type: 'number', min: 0, value: user.concurrency_limit }),
    ],
    submitLabel: 'Save',
    submit: async (values) => show(await api.patch(`/users/${user.id}`, userBody(values))),
  });
  return h('details', { class: 'admin-only' }, h('summary', {}, 'Edit name and limits'), form);
}

function overrideForm(userId, reload) {
  return changeForm({
    className: 'inline-form',
    fields: [
      field({ name: 'group_id', label: 'Provider group id', type: 'number', min: 1, required: true }),
      field({ name: 'mode', label: 'Override', type: 'select', options: [['limit', 'limit to'], ['exempt', 'exempt (no limit)'], ['inherit', 'inherit the group’s']] }),
      field({ name: 'limit', label: 'Requests per minute', type: 'number', min: 1 }),
    ],
    submitLabel: 'Set override',
    submit: async (v, { form }) => {
      const rpmOverride = v.mode === 'inherit' ? null : v.mode === 'exempt' ? 0 : intOrNull(v, 'limit');
      await api.put(`/users/${userId}/group-limits/${intOrNull(v, 'group_id')}`, { rpm_override: rpmOverride });
      form.reset();
      await reload();
    },
  });
}
