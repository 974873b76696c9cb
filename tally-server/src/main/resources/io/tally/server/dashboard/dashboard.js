// Tally's live dashboard: polls the JSON API about once a second and draws with uPlot. The API key
// for a server that requires one (getJson, the sign-in strip) is dashboard-key.js's business.
// Plain JavaScript, no build step. Elements carry data-* attributes with the raw numbers they
// show, for tests and for anyone scripting the page.
'use strict';

const POLL_MILLIS = 1000;
const RATE_HISTORY_SECONDS = 120;
const BUCKET_SECONDS = { minute: 60, hour: 3600, day: 86400 };
const fmt = new Intl.NumberFormat('en-US');
const fmt1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

const state = {
  topType: 'view',
  topPrefix: '',         // the ranked namespace (top-K prefix); '' ranks every plain entity
  prefixes: new Set(),   // namespaces seen in rankings, offered by the prefix picker
  topWindow: null,       // the first configured window, once /v1/overview names them
  entity: null,          // the charted entity: picked by a click, typed, or the top one at first
  picked: false,         // true once a person chose an entity (the page stops auto-picking)
  seriesType: 'view',
  granularity: 'minute',
};

const $ = (id) => document.getElementById(id);
const rateHistory = [[], []];
let rateChart = null;
let seriesChart = null;
let polling = false;
let lastOk = 0;

/** Blanks every number and list: nothing read with a refused or forgotten key stays on screen. */
function clearNumbers() {
  for (const id of ['rate', 'accepted', 'lag', 'freshness']) setNumber($(id), null, '—');
  $('freshness').className = 'big';
  $('asof').textContent = '—';
  $('mode').hidden = true;
  $('partitions').replaceChildren();
  $('top').tBodies[0].replaceChildren();
  $('top-note').textContent = '';
  state.prefixes.clear(); // namespaces seen with a key are not offered once it is gone
  $('prefixes').replaceChildren();
  $('entities').replaceChildren();
  rateHistory[0].length = 0;
  rateHistory[1].length = 0;
  if (rateChart) rateChart.setData(rateHistory);
  Object.assign($('rate-chart').dataset, { points: '0', max: '0' });
  if (seriesChart) seriesChart.destroy();
  seriesChart = null;
  const chart = $('series-chart');
  chart.replaceChildren();
  Object.assign(chart.dataset, { entity: '', type: '', granularity: '', points: '0', lastValue: '', lastStart: '', total: '' });
  for (const id of ['series-range-total', 'series-last', 'series-all-time']) $(id).textContent = '—';
  $('series-note').textContent = '';
  if (!state.picked) state.entity = null;
}

// ---------- small helpers ----------

function q(params) {
  return Object.entries(params).map(([k, v]) => k + '=' + encodeURIComponent(v)).join('&');
}

function setNumber(el, value, text, unit) {
  el.dataset.value = value == null ? '' : String(value);
  el.textContent = text;
  if (unit) {
    const u = document.createElement('span');
    u.className = 'unit';
    u.textContent = unit;
    el.appendChild(u);
  }
}

function compact(n) {
  if (n == null) return '—';
  if (Math.abs(n) >= 1e9) return fmt1.format(n / 1e9) + ' B';
  if (Math.abs(n) >= 1e6) return fmt1.format(n / 1e6) + ' M';
  return fmt.format(n);
}

function ago(ms) {
  if (ms < 1000) return fmt.format(ms) + ' ms';
  if (ms < 120000) return fmt1.format(ms / 1000) + ' s';
  if (ms < 7200000) return fmt.format(Math.round(ms / 60000)) + ' min';
  return fmt1.format(ms / 3600000) + ' h';
}

function timeOf(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '—';
}

function width(el) {
  return Math.max(200, Math.floor(el.getBoundingClientRect().width));
}

const axisStyle = {
  stroke: '#8b98a9',
  grid: { stroke: 'rgba(139,152,169,0.12)', width: 1 },
  ticks: { stroke: 'rgba(139,152,169,0.25)', width: 1 },
  font: '11px system-ui, sans-serif',
};

// ---------- header and big numbers: /v1/overview and /healthz ----------

async function pollOverview() {
  const { ok, body } = await getJson('/v1/overview');
  if (!ok) throw new Error(body.error || 'overview failed');
  $('mode').textContent = body.mode + ' · ' + body.partitions + ' partitions';
  $('mode').hidden = false;
  if (body.eventsPerSecond == null) {
    setNumber($('rate'), null, 'n/a');
    setNumber($('accepted'), null, 'n/a');
  } else {
    setNumber($('rate'), body.eventsPerSecond, compact(Math.round(body.eventsPerSecond)), '/s');
    setNumber($('accepted'), body.acceptedEvents, compact(body.acceptedEvents));
    $('rate-window').textContent = body.rateWindowSeconds;
    pushRate(body.eventsPerSecond);
  }
  setNumber($('lag'), body.lagEvents, compact(body.lagEvents), 'events');
  const fresh = $('freshness');
  if (body.freshnessMillis == null) {
    setNumber(fresh, null, '—');
    fresh.className = 'big';
  } else {
    setNumber(fresh, body.freshnessMillis, ago(body.freshnessMillis), 'behind');
    fresh.className = 'big ' + (body.freshnessMillis < 3000 ? 'fresh-ok' : body.freshnessMillis < 30000 ? 'fresh-warn' : 'fresh-bad');
  }
  $('asof').textContent = timeOf(body.asOf);
  drawPartitions(body.byPartition || []);
  if (state.topWindow == null && body.topWindows && body.topWindows.length) {
    state.topWindow = body.topWindows[0];
    drawWindowSwitch(body.topWindows);
  }
}

async function pollHealth() {
  const el = $('status');
  try {
    const { body } = await getJson('/healthz');
    el.dataset.state = body.status === 'ok' ? 'ok' : 'unhealthy';
    el.querySelector('.label').textContent = body.status === 'ok' ? 'healthy' : 'unhealthy';
    el.title = JSON.stringify(body.checks || {});
    drawWarnings(body.warnings || []);
  } catch (e) {
    el.dataset.state = 'unreachable';
    el.querySelector('.label').textContent = 'unreachable';
  }
}

function drawWarnings(warnings) {
  $('warnings').hidden = warnings.length === 0;
  $('warning-list').replaceChildren(...warnings.map((w) => {
    const li = document.createElement('li');
    li.textContent = w;
    return li;
  }));
}

function drawPartitions(parts) {
  const box = $('partitions');
  const max = Math.max(1, ...parts.map((p) => p.lagEvents || 0));
  box.replaceChildren(...parts.map((p) => {
    const bar = document.createElement('span');
    bar.style.height = Math.max(3, Math.round(26 * (p.lagEvents || 0) / max)) + 'px';
    bar.title = 'partition ' + p.partition + ': ' + (p.lagEvents == null ? 'lag unknown' : fmt.format(p.lagEvents) + ' events behind')
      + (p.asOf ? ', counted up to ' + timeOf(p.asOf) : '');
    bar.dataset.partition = p.partition;
    bar.dataset.lag = p.lagEvents == null ? '' : p.lagEvents;
    return bar;
  }));
}

function pushRate(perSecond) {
  const now = Math.floor(Date.now() / 1000);
  const [xs, ys] = rateHistory;
  if (xs.length && xs[xs.length - 1] === now) {
    ys[ys.length - 1] = perSecond;
  } else {
    xs.push(now);
    ys.push(perSecond);
  }
  while (xs.length && xs[0] < now - RATE_HISTORY_SECONDS) {
    xs.shift();
    ys.shift();
  }
  const el = $('rate-chart');
  if (!rateChart) {
    rateChart = new uPlot({
      width: width(el), height: 56, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(10, max * 1.15)] } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: '#4f8cff', width: 2, fill: 'rgba(79,140,255,0.16)', points: { show: false } }],
    }, rateHistory, el);
  } else {
    rateChart.setData(rateHistory);
  }
  el.dataset.points = xs.length;
  el.dataset.max = Math.max(0, ...ys);
}

// ---------- top entities: /v1/top ----------

function drawWindowSwitch(windows) {
  const seg = $('top-window');
  seg.replaceChildren(...windows.map((w) => {
    const b = document.createElement('button');
    b.textContent = w;
    b.dataset.window = w;
    b.className = w === state.topWindow ? 'on' : '';
    b.addEventListener('click', () => {
      state.topWindow = w;
      seg.querySelectorAll('button').forEach((x) => x.classList.toggle('on', x === b));
      refresh();
    });
    return b;
  }));
}

async function pollTop() {
  const table = $('top');
  const note = $('top-note');
  if (state.topWindow == null) {
    note.textContent = 'Top-K is off on this server (--topk-windows is empty).';
    return;
  }
  const type = state.topType;
  const prefix = state.topPrefix;
  const params = { type, window: state.topWindow, k: 10 };
  if (prefix) params.prefix = prefix;
  const { ok, body } = await getJson('/v1/top?' + q(params));
  table.dataset.type = type;
  table.dataset.prefix = prefix;
  table.dataset.window = state.topWindow;
  const tbody = table.tBodies[0];
  if (!ok) {
    tbody.replaceChildren();
    note.className = 'note error';
    note.textContent = body.error;
    return;
  }
  const items = body.items;
  const max = Math.max(1, ...items.map((i) => i.estimate));
  tbody.replaceChildren(...items.map((item, i) => {
    const tr = document.createElement('tr');
    tr.dataset.entity = item.entity;
    tr.dataset.estimate = item.estimate;
    tr.className = item.entity === state.entity && type === state.seriesType ? 'picked' : '';
    tr.title = 'chart ' + item.entity + ' · ' + type;
    const rank = document.createElement('td');
    rank.className = 'rank';
    rank.textContent = i + 1;
    const name = document.createElement('td');
    name.className = 'entity';
    name.textContent = item.entity;
    const meter = document.createElement('span');
    meter.className = 'meter';
    meter.style.width = Math.max(2, Math.round(100 * item.estimate / max)) + '%';
    name.appendChild(meter);
    const num = document.createElement('td');
    num.className = 'num';
    num.textContent = (body.exact ? '' : '≈ ') + fmt.format(item.estimate);
    tr.append(rank, name, num);
    tr.addEventListener('click', () => pick(item.entity, type));
    return tr;
  }));
  note.className = 'note';
  note.textContent = items.length
    ? (body.exact ? 'exact' : 'approximate, error at most ' + fmt.format(body.maxError)) + ' · since ' + timeOf(body.from)
    : 'No ' + type + ' events in the last ' + state.topWindow + ' yet — post some and they appear here within a second.';
  offerPrefixes(items);
  $('entities').replaceChildren(...items.map((i) => Object.assign(document.createElement('option'), { value: i.entity })));
  if (!state.entity && items.length) {
    choose(items[0].entity, type, false);
  }
}

/** Adds the namespaces (text up to the first ':') of ranked entities to the prefix picker. */
function offerPrefixes(items) {
  const before = state.prefixes.size;
  items.forEach((i) => {
    const colon = i.entity.indexOf(':');
    if (colon > 0) state.prefixes.add(i.entity.slice(0, colon + 1));
  });
  if (state.prefixes.size !== before) {
    $('prefixes').replaceChildren(...[...state.prefixes].sort()
      .map((p) => Object.assign(document.createElement('option'), { value: p })));
  }
}

// ---------- the chosen entity's series: /v1/stats and /v1/total ----------

function pick(entity, type) {
  choose(entity, type, true);
  refresh();
}

function choose(entity, type, byPerson) {
  state.entity = entity;
  state.seriesType = type;
  state.picked = state.picked || byPerson;
  $('entity').value = entity;
  $('series-type').value = type;
  document.querySelectorAll('#top tbody tr').forEach((tr) => {
    tr.classList.toggle('picked', tr.dataset.entity === entity && $('top').dataset.type === type);
  });
}

async function pollSeries() {
  const el = $('series-chart');
  const note = $('series-note');
  const { entity, seriesType: type, granularity } = state;
  if (!entity) {
    $('series-title').textContent = 'Series';
    if (!seriesChart) el.innerHTML = '<div class="empty">Pick an entity: click one under Top entities, or type its name.</div>';
    return;
  }
  const [stats, total] = await Promise.all([
    getJson('/v1/stats?' + q({ entity, type, granularity, fill: 'zero' })),
    getJson('/v1/total?' + q({ entity, type })),
  ]);
  if (entity !== state.entity || type !== state.seriesType || granularity !== state.granularity) return; // changed meanwhile
  const title = $('series-title');
  title.textContent = entity + ' ';
  const t = document.createElement('span');
  t.className = 'type';
  t.textContent = '· ' + type + ' per ' + granularity;
  title.appendChild(t);
  if (!stats.ok) {
    note.className = 'note error';
    note.textContent = stats.body.error;
    return;
  }
  const buckets = stats.body.buckets;
  const xs = buckets.map((b) => Date.parse(b.start) / 1000);
  const ys = buckets.map((b) => b.value);
  const inRange = ys.reduce((a, b) => a + b, 0);
  drawSeries(el, [xs, ys.map((v) => (v === 0 ? null : v))], granularity); // empty buckets: no bar
  el.dataset.entity = entity;
  el.dataset.type = type;
  el.dataset.granularity = granularity;
  el.dataset.points = xs.length;
  el.dataset.lastValue = ys.length ? ys[ys.length - 1] : '';
  el.dataset.lastStart = buckets.length ? buckets[buckets.length - 1].start : '';
  el.dataset.total = inRange;
  el.dataset.version = Number(el.dataset.version) + 1;
  $('series-range-total').textContent = fmt.format(inRange);
  $('series-last-label').textContent = 'this ' + granularity;
  $('series-last').textContent = ys.length ? fmt.format(ys[ys.length - 1]) : '—';
  $('series-all-time').textContent = total.ok ? fmt.format(total.body.count) : '—';
  note.className = 'note';
  note.textContent = 'UTC buckets · as of ' + timeOf(stats.body.asOf);
}

function drawSeries(el, data, granularity) {
  if (!seriesChart || seriesChart.granularity !== granularity) {
    if (seriesChart) seriesChart.destroy();
    el.replaceChildren();
    const label = { minute: 'events per minute', hour: 'events per hour', day: 'events per day' }[granularity];
    seriesChart = new uPlot({
      width: width(el), height: 400,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: {
        // half a bucket of room on each side, so the first and the newest bar are drawn whole
        x: { time: true, range: (u, min, max) => [min - BUCKET_SECONDS[granularity] / 2, max + BUCKET_SECONDS[granularity] / 2] },
        y: { range: (u, min, max) => [0, Math.max(5, max * 1.12)] },
      },
      axes: [axisStyle, Object.assign({ size: 60 }, axisStyle)],
      cursor: { points: { size: 7 } },
      series: [
        {
          label: 'bucket',
          value: (u, v) => (v == null ? '—' : new Date(v * 1000).toISOString().slice(0, granularity === 'day' ? 10 : 16).replace('T', ' ') + ' UTC'),
        },
        {
          label, stroke: '#4f8cff', fill: 'rgba(79,140,255,0.55)', width: 1,
          paths: uPlot.paths.bars({ size: [0.72, 48], radius: 0.15 }), points: { show: false },
          value: (u, v, si, idx) => (idx == null ? '—' : fmt.format(v == null ? 0 : v)),
        },
      ],
    }, data, el);
    seriesChart.granularity = granularity;
  } else {
    seriesChart.setData(data);
  }
}

// ---------- controls ----------

function bindControls() {
  $('top-type').addEventListener('change', (e) => {
    state.topType = e.target.value.trim() || 'view';
    refresh();
  });
  $('top-prefix').addEventListener('change', (e) => {
    state.topPrefix = e.target.value.trim();
    refresh();
  });
  $('entity').addEventListener('change', (e) => {
    const v = e.target.value.trim();
    if (v) pick(v, state.seriesType);
  });
  $('series-type').addEventListener('change', (e) => {
    state.seriesType = e.target.value.trim() || 'view';
    refresh();
  });
  document.querySelectorAll('#granularity button').forEach((b) => b.addEventListener('click', () => {
    state.granularity = b.dataset.g;
    document.querySelectorAll('#granularity button').forEach((x) => x.classList.toggle('on', x === b));
    refresh();
  }));
  bindKeyControls();
  window.addEventListener('resize', () => {
    if (seriesChart) seriesChart.setSize({ width: width($("series-chart")), height: 400 });
    if (rateChart) rateChart.setSize({ width: width($('rate-chart')), height: 56 });
  });
}

// ---------- the poll loop ----------

async function refresh() {
  if (polling) return;
  polling = true;
  try {
    if (auth.needed) {
      await pollHealth(); // no /v1 call until someone gives a key: a refused poll every second helps nobody
      return;
    }
    await Promise.all([pollOverview(), pollHealth()]);
    await pollTop();
    await pollSeries();
    lastOk = Date.now();
    signedIn();
  } catch (e) {
    if (e instanceof Refused) {
      needKey(e);
    } else {
      $('status').dataset.state = 'unreachable';
      $('status').querySelector('.label').textContent = 'unreachable';
    }
  } finally {
    polling = false;
    $('updated').textContent = auth.needed ? 'waiting for a key'
      : lastOk ? 'updated ' + timeOf(new Date(lastOk).toISOString()) : 'no answer yet';
  }
}

bindControls();
refresh();
setInterval(refresh, POLL_MILLIS);
