// Overview: usage windows, a success/failure time series, key counts, top keys and models, and the
// attention list. Every figure comes from the admin API's summaries, which read bounded rows
// whatever the number of keys.
import { api } from '../api.js';
import { stackedBars } from '../chart.js';
import { h, heading, section, table, facts, fmt, load, badge, timeZone } from '../ui.js';

const STEPS = { '1m': [60, 60e3, 'last hour, per minute'], '1h': [48, 3600e3, 'last 48 hours, per hour'], '1d': [30, 86400e3, 'last 30 days, per day'] };
const WINDOWS = ['1h', '24h', '7d'];

export async function render(view) {
  const step = STEPS[view.params.get('step')] ? view.params.get('step') : '1m';
  const attention = WINDOWS.includes(view.params.get('window')) ? view.params.get('window') : '1h';
  const [count, size, words] = STEPS[step];
  const to = Math.ceil(Date.now() / size) * size;
  const from = to - count * size;

  const windows = h('div');
  const chart = h('div', { id: 'usage-chart' });
  const stats = h('div');
  const topKeys = h('div');
  const topModels = h('div');
  const attentionKeys = h('div');
  const attentionProviders = h('div');
  view.main.append(
    heading('Overview'),
    section('Requests and tokens', windows),
    section(
      'Over time',
      h('nav', { class: 'tabs', 'aria-label': 'Time series step' },
        Object.keys(STEPS).map((s) => h('a', { href: view.link({ step: s === '1m' ? null : s }), 'aria-current': s === step ? 'page' : null }, s))),
      h('p', { class: 'hint' }, `Requests, ${words}; times in ${timeZone}.`),
      chart,
    ),
    h('div', { class: 'columns' }, section('Keys', stats), section('Top keys by requests', topKeys)),
    section('Top models (24 h)', topModels),
    section(
      'Needs attention',
      h('nav', { class: 'tabs', 'aria-label': 'Attention window' },
        WINDOWS.map((w) => h('a', { href: view.link({ window: w === '1h' ? null : w }), 'aria-current': w === attention ? 'page' : null }, w))),
      h('div', { class: 'columns' }, h('div', {}, h('h3', {}, 'Keys with most failures'), attentionKeys), h('div', {}, h('h3', {}, 'Provider keys with most 429s'), attentionProviders)),
    ),
  );

  const s = view.signal;
  await Promise.all([
    load(windows, () => api.get('/usage/windows', {}, s), renderWindows),
    load(chart, () => api.get('/usage/timeseries', { from: new Date(from).toISOString(), to: new Date(to).toISOString(), step }, s), (series) =>
      stackedBars({
        title: 'Requests',
        points: series.points,
        series: [
          { label: 'success', cls: 'ok', key: (p) => p.requests.success },
          { label: 'failure', cls: 'fail', key: (p) => p.requests.failure },
        ],
        label: (p) => (step === '1d' ? new Date(p.bucket_start).toLocaleDateString() : fmt.short(p.bucket_start)),
      })),
    load(stats, () => api.get('/keys/stats', {}, s), (k) => {
      return facts([
        ['Keys', fmt.int(k.total)],
        ...Object.entries(k.by_status || {}).map(([status, n]) => [badge(status), fmt.int(n)]),
        ['Requests (all time)', fmt.int(k.requests.total)],
        ['Rate-limited (all time)', fmt.int(k.requests.rate_limited)],
        ['Estimated (all time)', h('span', { title: 'requests whose tokens were estimated because the upstream reported no usage' }, fmt.int(k.requests.estimated))],
        ['Tokens (all time)', fmt.int(k.tokens.total)],
        ['Quota used / limits', `${fmt.int(k.quota.used_sum)} / ${fmt.int(k.quota.limit_sum)} (${fmt.int(k.quota.limited_keys)} keys)`],
      ]);
    }),
    load(topKeys, () => api.get('/keys', { sort: 'requests', order: 'desc', page_size: 10 }, s), (page) =>
      table(
        [
          { label: 'Key', value: (k) => h('a', { href: `/console/keys/${k.id}` }, k.name) },
          { label: 'Status', value: (k) => badge(k.status) },
          { label: 'Requests', num: true, value: (k) => fmt.int(k.requests) },
          { label: 'Tokens', num: true, value: (k) => fmt.int(k.total_tokens) },
        ],
        page.items,
        { caption: 'Top keys', emptyText: 'No keys yet.' },
      )),
    load(topModels, () => modelUsage(s), (rows) =>
      table(
        [
          { label: 'Model', value: (r) => r.model },
          { label: 'Requests', num: true, value: (r) => fmt.int(r.requests.total) },
          { label: 'Success rate', num: true, value: (r) => fmt.pct(r.requests.total ? r.requests.success / r.requests.total : null) },
          { label: 'Tokens', num: true, value: (r) => fmt.int(r.tokens.total) },
        ],
        rows,
        { caption: 'Top models', emptyText: 'No model has served a request in the last 24 hours.' },
      )),
    load(attentionKeys, () => api.get('/attention', { subject: 'keys', by: 'failures', window: attention, limit: 10 }, s), (list) =>
      attentionTable(list, (i) => h('a', { href: `/console/keys/${i.id}` }, i.name))),
    load(attentionProviders, () => api.get('/attention', { subject: 'provider_keys', by: 'rate_limited', window: attention, limit: 10 }, s), (list) =>
      attentionTable(list, (i) => h('a', { href: `/console/provider-keys/${i.id}` }, i.name))),
  ]);
}

function renderWindows(result) {
  return table(
    [
      { label: 'Window', value: (w) => (w.window === 'month' ? 'this month (UTC)' : w.window) },
      { label: 'Requests', num: true, value: (w) => fmt.int(w.requests.total) },
      { label: 'Success rate', num: true, value: (w) => fmt.pct(w.requests.total ? w.requests.success / w.requests.total : null) },
      { label: 'Failures', num: true, value: (w) => fmt.int(w.requests.failure) },
      { label: 'Rate-limited', num: true, value: (w) => fmt.int(w.requests.rate_limited) },
      { label: 'Estimated', num: true, value: (w) => fmt.int(w.requests.estimated) },
      { label: 'Tokens', num: true, value: (w) => fmt.int(w.tokens.total) },
    ],
    result.windows,
    { caption: 'Usage windows' },
  );
}

function attentionTable(list, name) {
  return table(
    [
      { label: 'Name', value: name },
      { label: 'Requests', num: true, value: (i) => fmt.int(i.requests) },
      { label: 'Failures', num: true, value: (i) => fmt.int(i.failures) },
      { label: '429s', num: true, value: (i) => fmt.int(i.rate_limited) },
      { label: 'Failure rate', num: true, value: (i) => fmt.pct(i.failure_rate) },
    ],
    list.items,
    { caption: `${list.subject} by ${list.by}`, emptyText: 'Nothing failing in this window.' },
  );
}

/** The models the provider groups serve, each with its 24-hour window, busiest first. */
async function modelUsage(signal) {
  const groups = await api.get('/provider-groups', { page_size: 1000 }, signal);
  const models = [...new Set(groups.items.flatMap((g) => g.models))].slice(0, 30);
  const windows = await Promise.all(models.map((model) => api.get('/usage/windows', { model }, signal)));
  return windows
    .map((w, i) => ({ model: models[i], ...w.windows.find((x) => x.window === '24h') }))
    .filter((r) => r.requests && r.requests.total > 0)
    .sort((a, b) => b.requests.total - a.requests.total)
    .slice(0, 10);
}
