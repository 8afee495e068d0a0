// Provider groups and their provider keys: health (status, circuit state and 429 cooldown as the
// data planes report them, failure rate, upstream 429s by kind, learned or fixed concurrency), the
// adaptive-concurrency summary, and creation forms.
import { api } from '../api.js';
import { h, heading, section, table, facts, fmt, load, badge, field, changeForm, list, intOrNull, actionButton, filterForm, filterParams, pager, paging, ApiFieldError, circuitBadge, remaining } from '../ui.js';

const FILTERS = [
  { name: 'search', label: 'Search', type: 'search', placeholder: 'group name (3+ characters)' },
  { name: 'status', label: 'Status', type: 'select', options: [['', 'active and disabled'], ['active', 'active'], ['disabled', 'disabled'], ['deleted', 'deleted']] },
];

export async function render(view) {
  const groupId = Number(view.params.get('group')) || null;
  const summary = h('div');
  const groups = h('div');
  const selected = h('div');
  view.main.append(
    heading('Providers'),
    section('Adaptive concurrency', summary),
    selected,
    section('Provider groups', filterForm(view, FILTERS, { label: 'Group filters' }), groups),
    createGroupSection(view),
  );
  const s = view.signal;
  const params = filterParams(view, FILTERS);
  await Promise.all([
    load(summary, () => api.get('/adaptive-concurrency/summary', {}, s), (a) => facts([
      ['Adaptive keys', fmt.int(a.adaptive_keys)],
      ['Fixed keys', fmt.int(a.fixed_keys)],
      ['Keys with a learned limit', fmt.int(a.learned_keys)],
      ['Upstream 429s', kinds(a.upstream_429)],
      ['Adjustments in 24 h', fmt.int(a.adjustments_24h)],
    ])),
    load(groups, () => api.get('/provider-groups', { ...params, ...paging(view, 100) }, s), (page) => [
      table(
        [
          { label: 'Group', value: (g) => h('a', { href: view.link({ group: g.id }), 'aria-current': g.id === groupId ? 'true' : null }, g.name) },
          { label: 'Id', num: true, value: (g) => String(g.id) },
          { label: 'Platform', value: (g) => g.platform },
          { label: 'Status', value: (g) => badge(g.status) },
          { label: 'Models', value: (g) => g.models.join(', ') },
          { label: 'RPM limit', num: true, value: (g) => fmt.limit(g.rpm_limit) },
          { label: 'Requests', num: true, value: (g) => fmt.int(g.requests) },
          { label: 'Failures', num: true, value: (g) => fmt.int(g.failure_requests) },
          { label: 'Rate-limited', num: true, value: (g) => fmt.int(g.rate_limited_requests) },
        ],
        page.items,
        { caption: 'Provider groups', emptyText: 'No provider group yet: create one below.' },
      ),
      pager(view, page),
    ]),
    groupId ? renderGroup(view, groupId, selected) : null,
  ]);
}

function kinds(k) {
  return `${fmt.int(k.rpm + k.concurrency + k.unknown)} (${fmt.int(k.rpm)} rpm, ${fmt.int(k.concurrency)} concurrency, ${fmt.int(k.unknown)} unknown)`;
}

async function renderGroup(view, id, target) {
  const details = h('div');
  const keys = h('div');
  const status = h('div', { class: 'status' });
  const actions = h('div', { class: 'actions' });
  target.replaceChildren(section(`Group #${id}`, details, actions, status, h('h3', {}, 'Provider keys'), keys, createKeyForm(view, id)));
  const s = view.signal;
  const show = (g, stats) => {
    details.replaceChildren(facts([
      ['Name', g.name],
      ['Platform', g.platform],
      ['Status', badge(g.status)],
      ['Models', g.models.join(', ') || 'none'],
      ['Model mapping', Object.entries(g.model_mapping || {}).map(([a, b]) => `${a} → ${b}`).join(', ') || 'none'],
      ['RPM limit', fmt.limit(g.rpm_limit)],
      ['Fallback group', g.fallback_group_id ? h('a', { href: view.link({ group: g.fallback_group_id }) }, `#${g.fallback_group_id}`) : 'none'],
      stats && ['Requests', `${fmt.int(stats.requests.total)} · success ${fmt.pct(stats.success_rate)} · mean latency ${fmt.dec(stats.mean_latency_ms)} ms`],
      stats && ['Upstream 429s', kinds(stats.upstream429s)],
      ['Users with an override', h('span', {}, h('a', { href: `#group-overrides` }, 'see below'))],
    ]));
    actions.replaceChildren(
      actionButton(g.status === 'active' ? 'Disable group' : 'Enable group', {
        confirm: { title: `${g.status === 'active' ? 'Disable' : 'Enable'} group ${g.name}?`, message: g.status === 'active' ? 'Requests are no longer routed to it (its fallback serves them, if any).' : 'Requests are routed to it again.' },
        run: () => api.patch(`/provider-groups/${id}`, { status: g.status === 'active' ? 'disabled' : 'active' }),
        status,
        done: (updated) => show(updated, stats),
      }),
      actionButton('Delete group', {
        danger: true,
        confirm: { title: `Delete group ${g.name}?`, message: 'Refused while live provider keys or fallbacks use it.' },
        run: () => api.del(`/provider-groups/${id}`),
        status,
        done: () => view.go(view.link({ group: null })),
      }),
    );
  };
  const overrides = h('div', { id: 'group-overrides' });
  target.firstChild.append(h('h3', {}, 'User RPM overrides in this group'), overrides);
  await Promise.all([
    load(details, () => Promise.all([api.get(`/provider-groups/${id}`, {}, s), api.get(`/provider-groups/${id}/stats`, {}, s)]), () => '').then((r) => r && show(...r)),
    load(keys, () => Promise.all([
      api.get('/provider-keys', { group_id: id, page_size: 1000 }, s),
      api.get('/adaptive-concurrency/provider-keys', { group_id: id, limit: 1000 }, s),
      api.get(`/provider-groups/${id}/provider-key-health`, {}, s),
    ]), ([page, adaptive, reported]) => {
      const health = new Map(adaptive.items.map((a) => [a.id, a]));
      const circuits = new Map(reported.items.map((r) => [r.provider_key_id, r]));
      return table(
        [
          { label: 'Key', value: (k) => h('a', { href: `/console/provider-keys/${k.id}` }, `#${k.id} ${k.secret_hint}`) },
          { label: 'Base URL', value: (k) => h('code', {}, k.base_url) },
          { label: 'Status', value: (k) => badge(k.status) },
          { label: 'Circuit', value: (k) => circuitBadge(circuits.get(k.id)) },
          { label: 'Cooldown', value: (k) => (circuits.get(k.id) && remaining(circuits.get(k.id).cooldown_until)) || 'none' },
          { label: 'Errors in a row', num: true, value: (k) => (circuits.get(k.id) ? fmt.int(circuits.get(k.id).consecutive_failures) : '—') },
          { label: 'Priority / weight', num: true, value: (k) => `${k.priority} / ${k.weight}` },
          { label: 'Concurrency', value: (k) => (k.max_concurrent ? `fixed ${fmt.int(k.max_concurrent)}` : `adaptive${k.learned_max_concurrent ? `, learned ${fmt.int(k.learned_max_concurrent)}` : ', nothing learned'}`) },
          { label: 'Upstream 429s', value: (k) => (health.get(k.id) ? kinds(health.get(k.id).upstream_429) : '—') },
          { label: 'Last 429', value: (k) => (health.get(k.id) && health.get(k.id).last_429_at ? `${fmt.time(health.get(k.id).last_429_at)} (${health.get(k.id).last_429_kind})` : 'none') },
          { label: 'Requests', num: true, value: (k) => fmt.int(k.requests) },
          { label: 'Failures', num: true, value: (k) => fmt.int(k.failure_requests) },
          { label: 'Last used', value: (k) => fmt.time(k.last_used_at) },
        ],
        page.items,
        { caption: 'Provider keys', emptyText: 'No provider key in this group: add one below.' },
      );
    }),
    load(overrides, () => api.get(`/provider-groups/${id}/user-limits`, {}, s), (r) => table(
      [
        { label: 'User', value: (o) => h('a', { href: `/console/users/${o.user_id}` }, `#${o.user_id}`) },
        { label: 'RPM override', num: true, value: (o) => (o.rpm_override === null ? 'inherit' : o.rpm_override === 0 ? 'exempt' : fmt.int(o.rpm_override)) },
        { label: 'Updated', value: (o) => fmt.time(o.updated_at) },
      ],
      r.items,
      { caption: 'Overrides', emptyText: 'No user has an override in this group.' },
    )),
  ]);
}

function createKeyForm(view, groupId) {
  const form = changeForm({
    submitLabel: 'Add provider key',
    submit: async (v) => {
      const body = { group_id: groupId, base_url: v.base_url, secret: v.secret };
      for (const n of ['priority', 'weight', 'max_concurrent']) if (intOrNull(v, n) !== null) body[n] = intOrNull(v, n);
      const key = await api.post('/provider-keys', body);
      view.go(`/console/provider-keys/${key.id}`);
    },
    fields: [
    field({ name: 'base_url', label: 'Base URL', required: true, placeholder: 'https://api.openai.com/v1', hint: 'as the SDKs write it, with /v1 (Anthropic too: https://api.anthropic.com/v1)' }),
    field({ name: 'secret', label: 'Secret', type: 'password', required: true, hint: 'write-only: shown afterwards as …abcd' }),
    field({ name: 'priority', label: 'Priority', type: 'number', hint: 'lower is tried first' }),
    field({ name: 'weight', label: 'Weight', type: 'number', min: 1 }),
    field({ name: 'max_concurrent', label: 'Fixed concurrency', type: 'number', min: 1, hint: 'empty = adaptive' }),
    ],
  });
  return h('details', { class: 'create admin-only' }, h('summary', {}, 'Add a provider key'), form);
}

function createGroupSection(view) {
  const form = changeForm({
    submitLabel: 'Create group',
    submit: async (v) => {
      const mapping = {};
      for (const line of list(v.model_mapping)) {
        const [from, to] = line.split('=').map((x) => x.trim());
        if (!from || !to) throw new ApiFieldError('model_mapping', `"${line}" is not model=upstream-model`);
        mapping[from] = to;
      }
      const body = { name: v.name, platform: v.platform, models: list(v.models), model_mapping: mapping };
      if (intOrNull(v, 'rpm_limit') !== null) body.rpm_limit = intOrNull(v, 'rpm_limit');
      if (intOrNull(v, 'fallback_group_id') !== null) body.fallback_group_id = intOrNull(v, 'fallback_group_id');
      const group = await api.post('/provider-groups', body);
      view.go(view.link({ group: group.id }));
    },
    fields: [
    field({ name: 'name', label: 'Name', required: true }),
    field({ name: 'platform', label: 'Platform', type: 'select', options: [['openai', 'openai'], ['anthropic', 'anthropic']] }),
    field({ name: 'models', label: 'Models', type: 'textarea', hint: 'one per line, as clients name them' }),
    field({ name: 'model_mapping', label: 'Model mapping', type: 'textarea', hint: 'model=upstream-model, one per line (optional)' }),
    field({ name: 'rpm_limit', label: 'RPM limit per user', type: 'number', min: 0 }),
    field({ name: 'fallback_group_id', label: 'Fallback group id', type: 'number', min: 1 }),
    ],
  });
  return h('details', { class: 'card create admin-only' }, h('summary', {}, 'Create a provider group'), form);
}
