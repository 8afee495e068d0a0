// Charts drawn as SVG: no library, nothing inline that the content security policy would refuse
// (attributes and classes only). Each chart has a text alternative and a title per bar or point.
import { h, fmt } from './ui.js';

const W = 720;
const H = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

function frame(label, body, max) {
  const plotH = H - PAD.top - PAD.bottom;
  return h(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': label },
    h('title', {}, label),
    (max >= 4 ? [0, 0.5, 1] : [0, 1]).map((f) => {
      const y = PAD.top + plotH * (1 - f);
      return h('g', { class: 'grid' },
        h('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }),
        h('text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end' }, fmt.int(Math.round(max * f))));
    }),
    body,
  );
}

function xLabels(labels) {
  const plotW = W - PAD.left - PAD.right;
  const n = labels.length;
  const picks = n <= 1 ? [0] : [0, Math.floor((n - 1) / 2), n - 1];
  return picks.map((i) =>
    h('text', {
      class: 'x-label',
      x: PAD.left + (n <= 1 ? plotW / 2 : (plotW * (i + 0.5)) / n),
      y: H - 8,
      'text-anchor': i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle',
    }, labels[i]));
}

/**
 * Stacked bars: one per point, a segment per series ({ key(point) → number, label, cls }).
 * label(point) names the bar; the chart's summary gives each series' total.
 */
export function stackedBars({ title, points, series, label }) {
  const totals = series.map((s) => points.reduce((sum, p) => sum + s.key(p), 0));
  const summary = `${title}: ${series.map((s, i) => `${s.label} ${fmt.int(totals[i])}`).join(', ')}`;
  const max = Math.max(1, ...points.map((p) => series.reduce((sum, s) => sum + s.key(p), 0)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const bw = plotW / Math.max(1, points.length);
  const bars = points.map((p, i) => {
    let y = PAD.top + plotH;
    const segments = series.map((s) => {
      const v = s.key(p);
      const hgt = (v / max) * plotH;
      y -= hgt;
      return v > 0 ? h('rect', { class: s.cls, x: PAD.left + i * bw + bw * 0.1, width: Math.max(0.5, bw * 0.8), y, height: hgt }) : null;
    });
    return h('g', {}, h('title', {}, `${label(p)}: ${series.map((s) => `${s.label} ${fmt.int(s.key(p))}`).join(', ')}`), segments);
  });
  return h(
    'figure',
    { class: 'chart-box' },
    frame(summary, [bars, xLabels(points.map(label))], max),
    h('figcaption', {}, legend(series), h('span', { class: 'sr-total', 'data-total': totals.join(',') }, summary)),
  );
}

/** A step line over time: points { at (ISO), value, note }. */
export function stepLine({ title, points, seriesLabel }) {
  if (points.length === 0) return h('p', { class: 'empty' }, 'No adjustments yet.');
  const times = points.map((p) => new Date(p.at).getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const max = Math.max(1, ...points.map((p) => p.value));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * plotW;
  const y = (v) => PAD.top + plotH * (1 - v / max);
  let d = '';
  points.forEach((p, i) => {
    const px = x(times[i]);
    const py = y(p.value);
    d += i === 0 ? `M${px},${py}` : ` H${px} V${py}`;
  });
  const dots = points.map((p, i) =>
    h('circle', { class: 'dot', cx: x(times[i]), cy: y(p.value), r: 3 }, h('title', {}, `${fmt.time(p.at)}: ${seriesLabel} ${fmt.int(p.value)}${p.note ? ` (${p.note})` : ''}`)));
  const summary = `${title}: ${points.length} adjustments, from ${fmt.int(points[0].value)} to ${fmt.int(points[points.length - 1].value)}`;
  return h(
    'figure',
    { class: 'chart-box' },
    frame(summary, [h('path', { class: 'line', d }), dots, xLabels([fmt.short(points[0].at), '', fmt.short(points[points.length - 1].at)])], max),
    h('figcaption', {}, summary),
  );
}

function legend(series) {
  return h('ul', { class: 'legend' }, series.map((s) => h('li', {}, h('span', { class: `swatch ${s.cls}` }), s.label)));
}
