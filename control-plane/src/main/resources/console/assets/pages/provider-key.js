// One provider key: health (status, failure rate, 429s by kind, latency), its concurrency (fixed or
// adaptive, learned limit) with the adjustment history as a chart, and its actions.
import { api } from '../api.js';
import { stepLine } from '../chart.js';
import { h, heading, section, table, facts, fmt, load, badge, actionButton, field, changeForm, intOrNull, circuitBadge, remaining } from '../ui.js';

export async function render(view) {
  const id = view.id;
  const details = h('div');
  const concurrency = h('div');
  const history = h('div');
  const status = h('div', { class: 'status' });
  const actions = h('div', { class: 'actions' });
  view.main.append(
    heading(`Provider key #${id}`, h('a', { href: '/console/providers', class: 'back' }, '← Providers')),
    section('Health', details),
    section('Concurrency', concurrency, actions, status),
    section('Adjustment history', history),
  );
  const s = view.signal;
  const reload = () => view.reload();
  const [key] = await Promise.all([
    load(details, () => Promise.all([api.get(`/provider-keys/${id}`, {}, s), api.get(`/provider-keys/${id}/stats`, {}, s)]), ([k, st]) => facts([
      ['Group', h('a', { href: `/console/providers?group=${k.group_id}` }, `#${k.group_id}`)],
      ['Base URL', h('code', {}, k.base_url)],
      ['Secret', h('code', {}, k.secret_hint)],
      ['Status', badge(k.status)],
      ['Circuit', h('span', {}, circuitBadge(st.health), ' ', h('small', {}, circuitNote(st.health)))],
      ['429 cooldown', remaining(st.health.cooldown_until) || 'none'],
      ['Errors in a row', fmt.int(st.health.consecutive_failures)],
      ['Priority / weight', `${k.priority} / ${k.weight}`],
      ['Requests', `${fmt.int(st.requests.total)} · success ${fmt.pct(st.success_rate)} · failure ${fmt.pct(st.failure_rate)}`],
      ['Estimated requests', fmt.int(st.estimated_requests)],
      ['Mean latency', `${fmt.dec(st.mean_latency_ms)} ms`],
      ['Upstream 429s', `${fmt.int(st.upstream429s.total)} (${fmt.int(st.upstream429s.rpm)} rpm, ${fmt.int(st.upstream429s.concurrency)} concurrency, ${fmt.int(st.upstream429s.unknown)} unknown)`],
      ['Last 429', st.last429_at ? `${fmt.time(st.last429_at)} (${st.last429_kind})` : 'none'],
      ['Last used', fmt.time(st.last_used_at)],
    ])).then((r) => r && r[0]),
    load(concurrency, () => api.get(`/provider-keys/${id}/concurrency-stats`, { adjustments_limit: 200 }, s), (c) => {
      history.replaceChildren(
        stepLine({
          title: 'Learned limit',
          seriesLabel: 'limit',
          points: [...c.adjustments.items].reverse().map((a) => ({ at: a.adjusted_at, value: a.new_limit, note: a.reason })),
        }),
        table(
          [
            { label: 'When', value: (a) => fmt.time(a.adjusted_at) },
            { label: 'From', num: true, value: (a) => fmt.int(a.old_limit) },
            { label: 'To', num: true, value: (a) => fmt.int(a.new_limit) },
            { label: 'Why', value: (a) => a.reason },
            { label: 'Utilisation', num: true, value: (a) => fmt.pct(a.utilisation) },
            { label: 'Data plane', value: (a) => a.dp_instance_id },
          ],
          c.adjustments.items.slice(0, 20),
          { caption: 'Latest adjustments', emptyText: 'No adjustments.' },
        ),
      );
      return facts([
        ['Mode', c.mode],
        ['Fixed limit', fmt.int(c.max_concurrent)],
        ['Learned limit', c.learned_max_concurrent === null ? 'nothing learned yet' : fmt.int(c.learned_max_concurrent)],
        ['Effective limit', c.effective_limit === null ? 'none' : fmt.int(c.effective_limit)],
        ['Learning reset', fmt.time(c.learning_reset_at)],
      ]);
    }),
  ]);
  if (!key) return;
  actions.replaceChildren(
    modeForm(id, reload),
    actionButton('Reset learning', {
      confirm: { title: 'Forget the learned limit?', message: 'Data planes start learning again from scratch; the mode stays.' },
      run: () => api.post(`/provider-keys/${id}/concurrency/reset`),
      status,
      done: reload,
    }),
    actionButton(key.status === 'active' ? 'Disable' : 'Enable', {
      confirm: { title: `${key.status === 'active' ? 'Disable' : 'Enable'} provider key #${id}?`, message: key.status === 'active' ? 'No request is routed to it until it is enabled.' : 'Requests are routed to it again.' },
      run: () => api.patch(`/provider-keys/${id}`, { status: key.status === 'active' ? 'disabled' : 'active' }),
      status,
      done: reload,
    }),
    actionButton('Delete', {
      danger: true,
      confirm: { title: `Delete provider key #${id}?`, message: 'It is removed from its group for good.' },
      run: () => api.del(`/provider-keys/${id}`),
      status,
      done: () => view.go(`/console/providers?group=${key.group_id}`),
    }),
  );
}

/** Which data planes the health comes from, and when they last reported it. */
function circuitNote(health) {
  if (!health.reported_at) return 'no data plane reported trouble lately';
  return `${fmt.int(health.data_planes)} data plane${health.data_planes === 1 ? '' : 's'} reporting, last at ${fmt.time(health.reported_at)}`;
}

function modeForm(id, reload) {
  return changeForm({
    className: 'inline-form',
    fields: [
      field({ name: 'mode', label: 'Mode', type: 'select', options: [['adaptive', 'adaptive (learned)'], ['fixed', 'fixed']] }),
      field({ name: 'limit', label: 'Fixed limit', type: 'number', min: 1, max: 1000, hint: '1..1000, for fixed' }),
    ],
    submitLabel: 'Set concurrency',
    submit: async (v) => {
      await api.put(`/provider-keys/${id}/concurrency`, v.mode === 'adaptive' ? { mode: 'adaptive' } : { mode: 'fixed', limit: intOrNull(v, 'limit') });
      reload();
    },
  });
}
