// console_app.js — the Kestrel console: filters live in the URL's query
// string (so a view can be shared), the list and timelines come from
// /api/alerts and /api/counts, new alerts arrive through /api/stream
// (server-sent events), the fleet table from /api/state. Plain DOM and
// SVG; nothing is fetched from anywhere but this server.
'use strict';

const FILTER_KEYS = ['rule', 'min_priority', 'source', 'host', 'container', 'tag', 'q'];
const PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'];
const PRIORITY_COLOURS = ['#6d0015', '#9b0020', '#d0021b', '#e5622d', '#f0a202', '#3e7cb1', '#8fb8de', '#b9b9b3'];
const RULE_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
  '#bcbd22', '#17becf'];
const RANGES = { '15m': 900, '1h': 3600, '24h': 86400, '7d': 604800, 'all': 0 };
const PAGE = 100;

const $ = (sel) => document.querySelector(sel);
let nextBeforeId = null;
const shown = new Set();

// The view's filters, read from the URL.
function filters() {
  const url = new URLSearchParams(location.search);
  const f = {};
  for (const k of FILTER_KEYS) if (url.get(k)) f[k] = url.get(k);
  f.range = url.get('range') || '24h';
  return f;
}

// The API parameters for the current filters (range becomes from=).
function apiParams(f, extra = {}) {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) if (f[k]) p.set(k, f[k]);
  const span = RANGES[f.range];
  if (span) p.set('from', String(BigInt(Date.now() - span * 1000) * 1000000n));
  for (const [k, v] of Object.entries(extra)) if (v !== null && v !== undefined) p.set(k, v);
  return p;
}

function formToUrl() {
  const data = new FormData($('#filters'));
  const url = new URLSearchParams();
  for (const [k, v] of data) if (v) url.set(k, v);
  history.pushState(null, '', '?' + url.toString() + location.hash);
  refresh();
}

function urlToForm() {
  const f = filters();
  const form = $('#filters');
  for (const k of FILTER_KEYS) form.elements[k].value = f[k] || '';
  form.elements.range.value = f.range;
}

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function alertRow(a, live) {
  const tr = el('tr', { 'data-id': a.id, 'data-rule': a.rule, 'data-received': String(Date.now()) });
  if (live) tr.classList.add('live');
  tr.append(el('td', {}, a.time.replace('T', ' ').slice(0, 23)),
    el('td', { class: 'p-' + a.priority }, a.priority), el('td', {}, a.rule), el('td', {}, a.hostname),
    el('td', {}, a.container_name || a.container_id || ''));
  const output = el('td', { class: 'output' });
  output.append(el('div', {}, a.output));
  tr.append(output);
  tr.addEventListener('click', () => { location.hash = 'alert=' + a.id; });
  return tr;
}

async function loadAlerts(append) {
  const f = filters();
  const page = await getJson('/api/alerts?' + apiParams(f, { limit: PAGE, before_id: append ? nextBeforeId : null }));
  const body = $('#alerts tbody');
  if (!append) { body.replaceChildren(); shown.clear(); }
  for (const a of page.alerts) {
    if (shown.has(a.id)) continue;
    shown.add(a.id);
    body.append(alertRow(a, false));
  }
  nextBeforeId = page.next_before_id;
  $('#older').hidden = nextBeforeId === null;
  $('#alert-count').textContent = '(' + body.children.length + (nextBeforeId === null ? '' : '+') + ')';
  const seen = $('#rules-seen');
  seen.replaceChildren(...[...new Set(page.alerts.map((a) => a.rule))].map((r) => el('option', { value: r })));
}

// Does a streamed alert belong in the current view?
function matches(a, f) {
  if (f.rule && a.rule !== f.rule) return false;
  if (f.source && a.source !== f.source) return false;
  if (f.host && a.hostname !== f.host) return false;
  if (f.container && a.container_id !== f.container && a.container_name !== f.container) return false;
  if (f.tag && !(a.tags || []).includes(f.tag)) return false;
  if (f.min_priority && PRIORITIES.indexOf(a.priority) > PRIORITIES.indexOf(f.min_priority)) return false;
  if (f.q && !a.output.toLowerCase().includes(f.q.toLowerCase())) return false;
  return true;
}

const SVG = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

// Stacked bars: one per time bucket, one colour per series.
// `domain` is [from, to] in ns; null: the data's own extent.
function drawTimeline(svg, counts, colourOf, domain) {
  const width = svg.clientWidth || 600, height = svg.clientHeight || 150, legendH = 16, axisH = 14;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const buckets = new Map();
  for (const s of counts.series) for (const [t, n] of s.buckets) buckets.set(t, (buckets.get(t) || 0) + n);
  const times = [...buckets.keys()].sort((a, b) => a - b);
  if (times.length === 0) {
    svg.append(Object.assign(svgEl('text', { x: 8, y: 20 }), { textContent: 'no alerts in this view' }));
    return;
  }
  const bucketNs = counts.bucket_ns;
  const t0 = domain ? Math.min(domain[0], times[0]) : times[0];
  const t1 = domain ? Math.max(domain[1], times[times.length - 1] + bucketNs) : times[times.length - 1] + bucketNs;
  const plotH = height - legendH - axisH, max = Math.max(...buckets.values());
  const x = (t) => ((t - t0) / (t1 - t0)) * width;
  const barW = Math.max(1, (bucketNs / (t1 - t0)) * width - 1);
  const base = new Map();
  counts.series.forEach((s, i) => {
    const colour = colourOf(s.key, i);
    for (const [t, n] of s.buckets) {
      const below = base.get(t) || 0, h = (n / max) * plotH;
      const r = svgEl('rect', { x: x(t), y: legendH + plotH - below - h, width: barW, height: h, fill: colour });
      r.append(Object.assign(svgEl('title', {}), { textContent: `${s.key}: ${n}` }));
      svg.append(r);
      base.set(t, below + h);
    }
  });
  let lx = 4;
  counts.series.slice(0, 8).forEach((s, i) => {
    svg.append(svgEl('rect', { x: lx, y: 3, width: 10, height: 10, fill: colourOf(s.key, i) }));
    const label = Object.assign(svgEl('text', { x: lx + 13, y: 12 }), { textContent: `${s.key} (${s.total})` });
    svg.append(label);
    lx += 20 + 6 * label.textContent.length;
  });
  const fmt = (t) => new Date(t / 1e6).toISOString().replace('T', ' ').slice(5, 16);
  svg.append(Object.assign(svgEl('text', { x: 2, y: height - 2 }), { textContent: fmt(t0) }));
  svg.append(Object.assign(svgEl('text', { x: width - 2, y: height - 2, 'text-anchor': 'end' }), { textContent: fmt(t1) }));
  svg.append(Object.assign(svgEl('text', { x: 2, y: legendH + 10 }), { textContent: `max ${max}` }));
}

async function loadTimelines() {
  const f = filters();
  const span = RANGES[f.range];
  const bucket = span ? Math.max(1, Math.round(span / 60)) : 3600;
  const [byPriority, byRule] = await Promise.all([
    getJson('/api/counts?' + apiParams(f, { by: 'priority', bucket })),
    getJson('/api/counts?' + apiParams(f, { by: 'rule', bucket })),
  ]);
  const now = Date.now() * 1e6;
  const domain = span ? [now - span * 1e9, now] : null;
  drawTimeline($('#by-priority'), byPriority, (k) => PRIORITY_COLOURS[PRIORITIES.indexOf(k)] || '#999', domain);
  drawTimeline($('#by-rule'), byRule, (k, i) => RULE_COLOURS[i % RULE_COLOURS.length], domain);
}

async function loadFleet() {
  const state = await getJson('/api/state');
  const n = state.node || {};
  $('#node').textContent = `${n.hostname} · ${n.kernel} · ${state.rules_loaded ?? '?'} rules loaded`;
  const body = $('#nodes tbody');
  body.replaceChildren();
  for (const node of state.nodes) {
    const tr = el('tr', { 'data-host': node.host, 'data-source': node.source || '' });
    const seen = node.last_seen_ns ?? node.last_ns;
    tr.append(el('td', {}, node.host + (node.local ? ' (this node)' : '')), el('td', {}, node.kernel || '—'),
      el('td', {}, node.source || (node.sources || []).join(', ') || '—'), el('td', {}, driverText(node.driver)),
      el('td', { class: 'events-per-second' }, node.events_per_second !== undefined ? String(Math.round(node.events_per_second)) : '—'),
      el('td', { class: 'drops' }, node.drops !== undefined ? String(node.drops) : '—'),
      el('td', {}, `${node.alerts_last_hour ?? 0} / ${node.alerts}`),
      el('td', {}, node.exited ? 'exited ' + timeText(seen) : seen ? timeText(seen) : '—'));
    body.append(tr);
  }
}

// What captures, and whether the driver index holds a built and
// VM-verified module for the node's kernel (only said with an index).
function driverText(d) {
  if (!d) return '—';
  let text = d.description || '';
  if (d.proven === true) text += ' · index: proven';
  else if (d.proven === false) text += ' · index: not proven' + (d.reason || d.error ? ` (${d.reason || d.error})` : '');
  return text || '—';
}

function timeText(ns) {
  return new Date(ns / 1e6).toISOString().replace('T', ' ').slice(0, 19);
}

async function showDetail() {
  const m = /alert=(\d+)/.exec(location.hash);
  $('#detail').hidden = !m;
  if (!m) return;
  const a = await getJson('/api/alerts/' + m[1]);
  $('#detail-id').textContent = '#' + a.id;
  const dl = $('#detail-fields');
  dl.replaceChildren();
  const add = (k, v) => dl.append(el('dt', {}, k), el('dd', {}, typeof v === 'string' ? v : JSON.stringify(v)));
  for (const k of ['time', 'priority', 'rule', 'source', 'hostname', 'container_id', 'container_name', 'tags', 'output'])
    add(k, a[k]);
  for (const [k, v] of Object.entries(a.output_fields || {})) add(k, v);
}

function connectFeed() {
  const status = $('#feed-status');
  const stream = new EventSource('/api/stream');
  stream.addEventListener('hello', () => { status.textContent = 'feed: live'; status.className = 'on'; });
  stream.addEventListener('alert', (e) => {
    const a = JSON.parse(e.data);
    if (shown.has(a.id) || !matches(a, filters())) return;
    shown.add(a.id);
    $('#alerts tbody').prepend(alertRow(a, true));
    timelinesDue = true;
  });
  stream.onerror = () => { status.textContent = 'feed: reconnecting'; status.className = 'off'; };
}

let timelinesDue = false;
function report(err) { console.error(err); $('#alert-count').textContent = 'error: ' + err.message; }
function refresh() {
  urlToForm();
  loadAlerts(false).catch(report);
  loadTimelines().catch(report);
}

$('#filters').addEventListener('submit', (e) => { e.preventDefault(); formToUrl(); });
$('#clear').addEventListener('click', () => { history.pushState(null, '', location.pathname); refresh(); });
$('#older').addEventListener('click', () => loadAlerts(true).catch(report));
$('#detail-close').addEventListener('click', () => { location.hash = ''; });
window.addEventListener('popstate', refresh);
window.addEventListener('hashchange', () => showDetail().catch(report));
setInterval(() => { if (timelinesDue) { timelinesDue = false; loadTimelines().catch(report); } }, 5000);
setInterval(() => loadFleet().catch(report), 5000);
refresh();
showDetail().catch(report);
loadFleet().catch(report);
connectFeed();
