// One key: its counters and limits, actions (disable, enable, rotate, revoke, reset quota, edit
// limits; each confirmed, each showing the API's problem inline), per-model usage, this minute's
// RPM use (refreshed live) and its recent errors.
import { api } from '../api.js';
import { h, heading, section, table, facts, fmt, load, badge, actionButton, secretOnce, changeForm, problemBox, field, adminOnly } from '../ui.js';
import { limitFields, limitBody } from './keys.js';

const PERIODS = ['24h', '7d'];

export async function render(view) {
  const id = view.id;
  const period = PERIODS.includes(view.params.get('period')) ? view.params.get('period') : '24h';
  const details = h('div');
  const actionsStatus = h('div', { class: 'status', id: 'action-status' });
  const actions = h('div', { class: 'actions' });
  const edit = h('div');
  const usage = h('div');
  const rpm = h('div', { 'aria-live': 'polite' });
  const errors = h('div');
  view.main.append(
    heading(`Key #${id}`, h('a', { href: '/console/keys', class: 'back' }, '← All keys')),
    section('Details', details),
    adminOnly(section('Actions', actions, actionsStatus)),
    section(
      'Usage by model',
      h('nav', { class: 'tabs', 'aria-label': 'Period' }, PERIODS.map((p) => h('a', { href: view.link({ period: p === '24h' ? null : p }), 'aria-current': p === period ? 'page' : null }, p))),
      usage,
    ),
    section('Requests per minute, now', rpm),
    section('Recent errors', errors, h('p', {}, h('a', { href: `/console/errors?key_id=${id}` }, 'All errors of this key'))),
    edit,
  );

  const s = view.signal;
  const showKey = (key) => {
    details.replaceChildren(keyFacts(key));
    actions.replaceChildren(...keyActions(view, key, actionsStatus, showKey));
    edit.replaceChildren(editSection(key, showKey));
    const title = view.main.querySelector('h1');
    if (title) title.textContent = `Key ${key.name}`;
  };
  await Promise.all([
    load(details, () => api.get(`/keys/${id}`, {}, s), keyFacts).then((key) => key && showKey(key)),
    load(usage, () => api.get(`/keys/${id}/usage`, { period }, s), (u) =>
      table(
        [
          { label: 'Model', value: (m) => m.model },
          { label: 'Requests', num: true, value: (m) => fmt.int(m.requests.total) },
          { label: 'Success', num: true, value: (m) => fmt.int(m.requests.success) },
          { label: 'Failures', num: true, value: (m) => fmt.int(m.requests.failure) },
          { label: 'Rate-limited', num: true, value: (m) => fmt.int(m.requests.rate_limited) },
          { label: 'Estimated', num: true, value: (m) => fmt.int(m.requests.estimated) },
          { label: 'Prompt tokens', num: true, value: (m) => fmt.int(m.tokens.prompt) },
          { label: 'Completion tokens', num: true, value: (m) => fmt.int(m.tokens.completion) },
        ],
        u.models,
        { caption: `Usage by model since ${fmt.time(u.from)}`, emptyText: 'No requests in this period.' },
      )),
    liveRpm(view, `/keys/${id}/rpm-status`, rpm),
    load(errors, () => api.get('/errors', { key_id: id, limit: 10 }, s), (page) => errorTable(page.items)),
  ]);
}

function keyFacts(k) {
  return facts([
    ['Name', k.name],
    ['Prefix', h('code', {}, k.prefix)],
    ['Status', badge(k.status)],
    ['User', h('a', { href: `/console/users/${k.user_id}` }, `#${k.user_id}`)],
    ['Provider groups', k.group_ids.length ? k.group_ids.map((g) => h('a', { href: `/console/providers?group=${g}`, class: 'chip' }, `#${g}`)) : 'none'],
    ['Requests', `${fmt.int(k.requests)} (${fmt.int(k.success_requests)} succeeded, ${fmt.int(k.failure_requests)} failed, ${fmt.int(k.rate_limited_requests)} rate-limited, ${fmt.int(k.estimated_requests)} estimated)`],
    ['Tokens', `${fmt.int(k.total_tokens)} (${fmt.int(k.prompt_tokens)} prompt, ${fmt.int(k.completion_tokens)} completion)`],
    ['Quota', `${fmt.int(k.quota_used)} of ${fmt.quota(k.quota_limit)}`],
    ['Limits', `${fmt.limit(k.rpm_limit)} RPM · ${fmt.limit(k.tpm_limit)} TPM · ${fmt.limit(k.concurrency_limit)} concurrent`],
    ['Allowed models', k.allowed_models.length ? k.allowed_models.join(', ') : 'every model of its groups'],
    ['IP rules', `${k.ip_allow.length ? `allow ${k.ip_allow.join(', ')}` : 'any address'}${k.ip_deny.length ? `; deny ${k.ip_deny.join(', ')}` : ''}`],
    ['Expires', k.expires_at ? fmt.time(k.expires_at) : 'never'],
    ['Last used', fmt.time(k.last_accessed_at)],
    ['Created', fmt.time(k.created_at)],
  ]);
}

function keyActions(view, key, status, showKey) {
  const id = key.id;
  const reload = async () => showKey(await api.get(`/keys/${id}`));
  const buttons = [];
  if (key.status === 'active') {
    buttons.push(actionButton('Disable', {
      confirm: { title: `Disable key ${key.name}?`, message: 'Every data plane refuses it within seconds, until it is enabled again.' },
      run: () => api.patch(`/keys/${id}`, { status: 'disabled' }),
      status,
      done: showKey,
    }));
  } else if (key.status === 'disabled') {
    buttons.push(actionButton('Enable', {
      confirm: { title: `Enable key ${key.name}?`, message: 'Data planes accept it again within seconds.' },
      run: () => api.patch(`/keys/${id}`, { status: 'active' }),
      status,
      done: showKey,
    }));
  }
  if (key.status !== 'revoked') {
    buttons.push(
      actionButton('Rotate', {
        confirm: { title: `Rotate key ${key.name}?`, message: 'A new secret is made and shown once; the old one stops working on every data plane within 2 seconds.' },
        run: () => api.post(`/keys/${id}/rotate`),
        status,
        done: (rotated) => {
          status.replaceChildren(secretOnce(`New secret of ${rotated.name}`, rotated.key));
          showKey(rotated);
        },
      }),
      actionButton('Reset quota', {
        confirm: { title: `Reset the quota of ${key.name}?`, message: 'Its used tokens go back to 0 (an exhausted key becomes active).' },
        run: () => api.post(`/keys/${id}/reset-quota`),
        status,
        done: reload,
      }),
      actionButton('Revoke', {
        danger: true,
        confirm: { title: `Revoke key ${key.name}?`, message: 'This cannot be undone: the key stops working for good.' },
        run: () => api.del(`/keys/${id}`),
        status,
        done: reload,
      }),
    );
  }
  return buttons;
}

function editSection(key, showKey) {
  const form = changeForm({
    fields: [field({ name: 'name', label: 'Name', value: key.name, required: true }), limitFields(key)],
    submitLabel: 'Save limits',
    submit: async (values, { status }) => {
      const updated = await api.patch(`/keys/${key.id}`, { name: values.name, ...limitBody(values, { clearExpiry: true }) });
      showKey(updated);
      status.replaceChildren(h('p', { role: 'status', class: 'ok-note' }, 'Saved.'));
    },
  });
  return h('details', { class: 'card admin-only' }, h('summary', {}, 'Edit name and limits'), form);
}

/** This minute's RPM use of a key or user, refreshed every 5 s while the view is shown. */
export function liveRpm(view, path, target) {
  const refresh = () =>
    api.get(path, {}, view.signal).then((r) => target.replaceChildren(rpmTable(r)), (e) => {
      if (e.name !== 'AbortError') target.replaceChildren(problemBox(e));
    });
  view.every(5000, refresh);
  return refresh();
}

function rpmTable(status) {
  return table(
    [
      { label: 'Scope', value: (s) => `${s.scope} #${s.id}` },
      { label: 'Limit', num: true, value: (s) => (s.limit === 0 ? 'unlimited' : fmt.int(s.limit)) },
      { label: 'Used', num: true, value: (s) => fmt.int(s.used) },
      { label: 'Remaining', num: true, value: (s) => (s.remaining === null ? '—' : fmt.int(s.remaining)) },
      { label: 'Resets in', num: true, value: (s) => `${s.resets_in_seconds} s` },
    ],
    status.scopes,
    { caption: `This minute (refreshed every 5 s)`, emptyText: 'No RPM limit applies.' },
  );
}

export function errorTable(items) {
  return table(
    [
      { label: 'When', value: (e) => fmt.time(e.occurred_at) },
      { label: 'Status', num: true, value: (e) => String(e.status_code) },
      { label: 'Class', value: (e) => e.error_class },
      { label: 'Model', value: (e) => e.model },
      { label: 'Key', value: (e) => h('a', { href: `/console/keys/${e.key_id}` }, `#${e.key_id}`) },
      { label: 'Provider key', value: (e) => (e.provider_key_id ? h('a', { href: `/console/provider-keys/${e.provider_key_id}` }, `#${e.provider_key_id}`) : '—') },
      { label: 'Latency', num: true, value: (e) => `${fmt.int(e.latency_ms)} ms` },
      { label: 'Message', value: (e) => h('span', { class: 'message' }, e.message) },
    ],
    items,
    { caption: 'Errors', emptyText: 'No errors.' },
  );
}
