// @ts-check
/**
 * deliverygo delivery analytics: reads the `GET /analytics/…` endpoints with the operator key and draws them with
 * Chart.js (the global `Chart`, served by the API from the chart.js package: no CDN, works offline).
 *
 * The range is relative to the API's clock (`/stats/live` → `at`; simulated under `npm start`), not the browser's, so
 * "last hour" means the last hour the city lived through. Everything is re-read every 15 s.
 */
import { authedFetch, takeKeyFromAddress } from './operator-key.js';

/** @type {any} */
const Chart = /** @type {any} */ (globalThis).Chart;

/** @typedef {{le: number|null, count: number}} Bucket */
/** @typedef {{count: number, mean_s: number|null, p50_s: number|null, p90_s: number|null, p99_s: number|null, buckets: Bucket[]}} Distribution */

takeKeyFromAddress();

const REFRESH_MS = 15_000;
const COLORS = ['#ff5a36', '#3b82f6', '#16a34a', '#a855f7', '#f59e0b', '#0ea5e9', '#ef4444', '#64748b'];

/** @type {Map<string, any>} canvas id → Chart */
const charts = new Map();

/** GET an analytics path; throws with the API's message on an error answer. @param {string} path */
async function get(path) {
  const res = await authedFetch(path, 'dashboard');
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message ?? `${path}: HTTP ${res.status}`);
  return body;
}

/** @param {string} id @param {string} text */
function setText(id, text) {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}

const pct = (/** @type {number|null} */ v) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`);
const mins = (/** @type {number|null} */ s) => (s === null ? '–' : `${(s / 60).toFixed(1)}`);

/**
 * Draws (or redraws) a chart on canvas `id`.
 * @param {string} id @param {string} type @param {{labels: string[], datasets: any[]}} data @param {any} [options]
 */
function draw(id, type, data, options = {}) {
  const existing = charts.get(id);
  if (existing) {
    existing.data = data;
    existing.update('none');
    return;
  }
  const canvas = document.getElementById(id);
  if (!canvas) return;
  charts.set(
    id,
    new Chart(canvas, {
      type,
      data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: data.datasets.length > 1 || type === 'doughnut' } },
        ...options,
      },
    }),
  );
}

/** Bar labels of histogram buckets in minutes: "≤ 10", …, "> 120". @param {Bucket[]} buckets */
function bucketLabels(buckets) {
  return buckets.map((b, i) => {
    if (b.le !== null) return `≤ ${+(b.le / 60).toFixed(1)}`;
    const last = buckets[i - 1]?.le;
    return last === undefined || last === null ? 'all' : `> ${+(last / 60).toFixed(1)}`;
  });
}

/** The query string of the current filters; `at` is the API's now. @param {string} at */
function filterQuery(at) {
  const form = /** @type {HTMLFormElement} */ (document.getElementById('filters'));
  const data = new FormData(form);
  const hours = Number(data.get('range') || 24);
  const to = new Date(at);
  const from = new Date(to.getTime() - hours * 3_600_000);
  const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
  const store = String(data.get('store') || '');
  const cell = String(data.get('cell') || '').trim();
  if (store) q.set('store_id', store);
  if (cell) q.set('cell', cell);
  return { q, res: String(data.get('res') || '7'), from, to };
}

/** The API's clock: `/stats/live`'s `at`, or the browser's when that is not available. */
async function apiNow() {
  try {
    const stats = await get('/stats/live');
    if (typeof stats.at === 'string') return stats.at;
  } catch {
    /* fall back */
  }
  return new Date().toISOString();
}

async function loadStores() {
  try {
    const page = await get('/stores?limit=200');
    const select = /** @type {HTMLSelectElement|null} */ (document.getElementById('f-store'));
    if (!select) return;
    for (const s of page.items ?? []) {
      const option = document.createElement('option');
      option.value = s.id;
      option.textContent = s.name;
      select.append(option);
    }
  } catch {
    /* the store filter stays at "all stores" */
  }
}

let loading = false;

async function refresh() {
  if (loading) return;
  loading = true;
  const error = document.getElementById('error');
  try {
    const { q, res, from, to } = filterQuery(await apiNow());
    const [fulfilment, c2d, r2p, eta, batches, riders, cells, regret] = await Promise.all([
      get(`/analytics/fulfilment?${q}`),
      get(`/analytics/click-to-door?${q}`),
      get(`/analytics/ready-to-pickup?${q}`),
      get(`/analytics/eta-accuracy?${q}`),
      get(`/analytics/batch-sizes?${q}`),
      get(`/analytics/rider-utilisation?${q}`),
      get(`/analytics/orders-per-cell?${q}&resolution=${res}`),
      get(`/analytics/regret?${q}`),
    ]);
    render({ fulfilment, c2d, r2p, eta, batches, riders, cells, regret });
    const day = (/** @type {Date} */ d) => d.toISOString().slice(0, 16).replace('T', ' ');
    setText('range-label', `${day(from)} → ${day(to)} UTC (the API's clock)`);
    setText('updated', `updated ${new Date().toLocaleTimeString([], { hour12: false })}`);
    if (error) error.hidden = true;
    document.body.dataset.state = 'ready';
  } catch (e) {
    if (error) {
      error.textContent = e instanceof Error ? e.message : String(e);
      error.hidden = false;
    }
  } finally {
    loading = false;
  }
}

/** @param {Record<string, any>} a */
function render(a) {
  const f = a.fulfilment;
  setText('fig-placed', String(f.placed));
  setText('fig-fulfilment', pct(f.fulfilment_rate));
  setText('fig-cancellation', pct(f.cancellation_rate));
  setText('fig-utilisation', pct(a.riders.utilisation));
  setText('fig-c2d', a.c2d.count ? `${mins(a.c2d.p50_s)} · ${mins(a.c2d.p90_s)} · ${mins(a.c2d.p99_s)} min` : '–');
  setText('fig-eta-late', pct(a.eta.promised.share_late));
  setText('fig-eta-p90', a.eta.first_quoted.count ? `${mins(a.eta.first_quoted.p90_abs_error_s)} min` : '–');
  setText('fig-batch', a.batches.mean === null ? '–' : `${a.batches.mean.toFixed(2)} (${a.batches.batches})`);

  draw('chart-fulfilment', 'doughnut', {
    labels: ['delivered', 'cancelled', 'in progress'],
    datasets: [{ data: [f.delivered, f.cancelled, f.in_progress], backgroundColor: ['#16a34a', '#ef4444', '#94a3b8'] }],
  });
  /** @param {string} id @param {Distribution} d @param {string} color */
  const histogram = (id, d, color) =>
    draw(id, 'bar', {
      labels: bucketLabels(d.buckets),
      datasets: [{ label: 'orders', data: d.buckets.map((b) => b.count), backgroundColor: color }],
    });
  histogram('chart-c2d', a.c2d, COLORS[0]);
  histogram('chart-r2p', a.r2p, COLORS[1]);
  draw('chart-eta', 'bar', {
    labels: bucketLabels(a.eta.promised.buckets),
    datasets: [
      {
        label: 'vs promise',
        data: a.eta.promised.buckets.map((/** @type {Bucket} */ b) => b.count),
        backgroundColor: COLORS[3],
      },
      {
        label: 'vs first quote',
        data: a.eta.first_quoted.buckets.map((/** @type {Bucket} */ b) => b.count),
        backgroundColor: COLORS[5],
      },
    ],
  });
  draw('chart-batches', 'bar', {
    labels: a.batches.sizes.map((/** @type {{size: number}} */ s) => String(s.size)),
    datasets: [
      {
        label: 'batches',
        data: a.batches.sizes.map((/** @type {{batches: number}} */ s) => s.batches),
        backgroundColor: COLORS[2],
      },
    ],
  });
  const riders = a.riders.riders.slice(0, 30);
  draw(
    'chart-riders',
    'bar',
    {
      labels: riders.map((/** @type {{name: string}} */ r) => r.name),
      datasets: [
        {
          label: 'busy share',
          data: riders.map((/** @type {{utilisation: number}} */ r) => Math.round(r.utilisation * 1000) / 10),
          backgroundColor: COLORS[4],
        },
      ],
    },
    { indexAxis: 'y', scales: { x: { min: 0, max: 100, title: { display: true, text: '%' } } } },
  );
  renderRegret(a.regret);
  const top = a.cells.cells.slice(0, 8);
  draw(
    'chart-cells',
    'bar',
    {
      labels: a.cells.hours.map((/** @type {string} */ h) => h.slice(11, 16)),
      datasets: top.map((/** @type {{cell: string, per_hour: number[]}} */ c, /** @type {number} */ i) => ({
        label: c.cell,
        data: c.per_hour,
        backgroundColor: COLORS[i % COLORS.length],
      })),
    },
    { scales: { x: { stacked: true }, y: { stacked: true } } },
  );
}

/**
 * Regret in hindsight: the summary cards, and the mean per UTC hour for the stores with the most decisions (one
 * dataset each; the other stores are left out so the chart stays readable).
 * @param {{overall: any, cells: Array<{store_id: string, store_name: string, hour: string, batches: number, mean_s: number|null}>}} r
 */
function renderRegret(r) {
  const o = r.overall;
  const s = (/** @type {number|null} */ v) => (v === null ? '–' : `${Math.round(v)}`);
  setText('fig-regret', o.batches ? `${s(o.p50_s)} · ${s(o.p90_s)} · ${s(o.p95_s)}` : '–');
  setText('fig-regret-share', o.batches ? `${pct(o.share_with_regret)} of ${o.batches}` : '–');
  const hours = [...new Set(r.cells.map((c) => c.hour))].sort();
  /** @type {Map<string, {name: string, batches: number}>} */
  const stores = new Map();
  for (const c of r.cells) {
    const entry = stores.get(c.store_id) ?? { name: c.store_name, batches: 0 };
    entry.batches += c.batches;
    stores.set(c.store_id, entry);
  }
  const top = [...stores.entries()].sort((x, y) => y[1].batches - x[1].batches).slice(0, 8);
  draw('chart-regret', 'bar', {
    labels: hours.map((h) => h.slice(11, 16)),
    datasets: top.map(([id, store], i) => ({
      label: store.name,
      data: hours.map((h) => r.cells.find((c) => c.store_id === id && c.hour === h)?.mean_s ?? 0),
      backgroundColor: COLORS[i % COLORS.length],
    })),
  });
}

document.getElementById('filters')?.addEventListener('submit', (event) => {
  event.preventDefault();
  void refresh();
});

void loadStores();
void refresh();
setInterval(() => void refresh(), REFRESH_MS);
