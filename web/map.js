// @ts-check
/**
 * deliverygo live map: draws the `/map/state` snapshot with Leaflet (the global `L`, served by the API from the
 * leaflet package), then follows the `map` channel of the WebSocket hub at `/ws`.
 *
 * Design notes:
 * - No framework and no build step: one ES module, typed with JSDoc.
 * - Offline first: without `tileUrl` the background is a grid drawn on canvas tiles, so it pans and zooms with the map.
 * - Events are applied incrementally; anything the map cannot place (an order.updated for an order it has never seen
 *   carries no drop point) triggers a debounced re-read of the snapshot. The snapshot is also re-read now and then
 *   while connected (to drop what was missed) and often while the hub is away (polling fallback).
 */

/** @typedef {'offline'|'idle'|'assigned'|'delivering'} RiderStatus */
/** @typedef {'placed'|'cooking'|'ready'|'batched'|'assigned'|'picked_up'|'delivered'|'cancelled'} OrderStatus */
/** @typedef {'open'|'sealed'|'assigned'|'picked_up'|'delivered'|'cancelled'} BatchStatus */
/** @typedef {{id: string, name: string, lat: number, lon: number}} Store */
/** @typedef {{id: string, name: string, status: RiderStatus, lat: number|null, lon: number|null, recordedAt: string|null, source: 'geo'|'db'|null, batchId: string|null}} Rider */
/** @typedef {{id: string, storeId: string, status: OrderStatus, lat: number, lon: number, batchId: string|null, riderId: string|null, placedAt: string}} Order */
/** @typedef {{kind: 'pickup'|'drop', orderId: string|null, lat: number, lon: number, eta: string}} Stop */
/** @typedef {{id: string, storeId: string, status: BatchStatus, riderId: string|null, orderIds: string[], stops: Stop[]|null, path: Array<[number, number]>|null}} Batch */
/** @typedef {{at: string, since: string, timeScale: number, orders: {placed: number, delivered: number, cancelled: number, active: number, unassigned: number, waitingForRider: number}, riders: {idle: number, busy: number, offline: number}, batches: {active: number, meanSize: number|null}, meanClickToDoorS: number|null}} Stats */
/** @typedef {{at: string, stores: Store[], riders: Rider[], orders: Order[], batches: Batch[], stats: Stats, recentDeliveredMs: number}} Snapshot */
/** @typedef {{channel?: string, type: string, data: Record<string, any>, at?: string}} HubMessage */

import { authedFetch as fetchWithKey, operatorKey, takeKeyFromAddress } from './operator-key.js';

/** @type {any} */
const L = /** @type {any} */ (globalThis).L;

/** @type {{tileUrl: string|null, roadsPath: string|null, wsPath: string, statePath: string}} */
const CONFIG = JSON.parse(document.getElementById('map-config')?.textContent || '{}');

// The operator key (web/operator-key.js, shared with the dashboard): `#key=…` → sessionStorage, asked for when missing.
takeKeyFromAddress();
/** GET `path` with the operator key. @param {string} path */
const authedFetch = (path) => fetchWithKey(path, 'map');

/** @type {Record<OrderStatus, string>} */
const ORDER_COLORS = {
  placed: '#94a3b8',
  cooking: '#f59e0b',
  ready: '#f97316',
  batched: '#3b82f6',
  assigned: '#6366f1',
  picked_up: '#a855f7',
  delivered: '#16a34a',
  cancelled: '#ef4444',
};
const ORDER_LABELS = /** @type {Record<OrderStatus, string>} */ ({
  placed: 'placed',
  cooking: 'cooking',
  ready: 'ready',
  batched: 'batched',
  assigned: 'assigned',
  picked_up: 'picked up',
  delivered: 'delivered',
  cancelled: 'cancelled',
});
/** @type {Record<BatchStatus, string>} */
const BATCH_COLORS = {
  open: '#94a3b8',
  sealed: '#3b82f6',
  assigned: '#6366f1',
  picked_up: '#a855f7',
  delivered: '#16a34a',
  cancelled: '#ef4444',
};
const RIDER_COLORS = /** @type {Record<RiderStatus, string>} */ ({
  idle: '#10b981',
  assigned: '#0ea5e9',
  delivering: '#d946ef',
  offline: '#9ca3af',
});

/**
 * Time. Every time the API sends is on its clock: under `npm start` a simulated one running `timeScale`× faster than
 * the wall clock. The figures are shown in that time and labelled "simulated"; the page converts only its own timers
 * (how long a delivered order stays drawn) into wall-clock milliseconds.
 */
const clock = { timeScale: 1, recentDeliveredMs: 5 * 60_000 };
/** Wall-clock ms a delivered order stays drawn: the snapshot's window (clock ms) at the clock's speed. */
const deliveredTtlWallMs = () => clock.recentDeliveredMs / Math.max(1, clock.timeScale);
const simulated = () => clock.timeScale > 1;
/** How long a marker glides to its new position; about one ping interval, so movement looks continuous. */
const MOVE_MS = 900;
const RESYNC_CONNECTED_MS = 30_000;
const RESYNC_POLLING_MS = 3_000;
const STATS_MS = 5_000;

// ---------------------------------------------------------------------------------------------------------------
// Map and background

const map = L.map('map', { zoomControl: true, preferCanvas: false, worldCopyJump: true }).setView([20, 0], 3);
map.attributionControl.setPrefix('Leaflet');

if (CONFIG.tileUrl) {
  L.tileLayer(CONFIG.tileUrl, {
    maxZoom: 19,
    attribution: `tiles: ${new URL(CONFIG.tileUrl.replace(/[{}]/g, '')).host}`,
  }).addTo(map);
} else {
  /** A quiet "graph paper" background: no network, yet panning and zooming still feel like a map. */
  const Grid = L.GridLayer.extend({
    /** @param {{x: number, y: number, z: number}} coords */
    createTile(coords) {
      const tile = /** @type {HTMLCanvasElement} */ (document.createElement('canvas'));
      const size = this.getTileSize();
      tile.width = size.x;
      tile.height = size.y;
      const ctx = tile.getContext('2d');
      if (!ctx) return tile;
      ctx.fillStyle = (coords.x + coords.y) % 2 === 0 ? '#f3f5f8' : '#f1f3f7';
      ctx.fillRect(0, 0, size.x, size.y);
      ctx.strokeStyle = '#e3e8ef';
      ctx.lineWidth = 1;
      for (let i = 1; i < 4; i++) {
        const p = (i * size.x) / 4 + 0.5;
        ctx.beginPath();
        ctx.moveTo(p, 0);
        ctx.lineTo(p, size.y);
        ctx.moveTo(0, p);
        ctx.lineTo(size.x, p);
        ctx.stroke();
      }
      ctx.strokeStyle = '#d3dae4';
      ctx.strokeRect(0.5, 0.5, size.x, size.y);
      return tile;
    },
  });
  new Grid({ maxZoom: 20 }).addTo(map);
  if (CONFIG.roadsPath) void drawStreets(CONFIG.roadsPath);
  else map.attributionControl.addAttribution('offline grid — set MAP_TILE_URL for tiles');
}

/** Street widths (px) by OSM highway class: the main roads stand out, service ways and pedestrian streets recede. */
const STREET_WEIGHT = /** @type {Record<string, number>} */ ({
  motorway: 5,
  trunk: 5,
  primary: 4.5,
  secondary: 4,
  tertiary: 3.5,
  motorway_link: 3,
  trunk_link: 3,
  primary_link: 3,
  secondary_link: 3,
  tertiary_link: 3,
  residential: 3,
  unclassified: 3,
  living_street: 2.5,
  service: 1.8,
  pedestrian: 2,
});

/** Streets drawn so far (for the browser tests). */
let streetCount = 0;

/**
 * The offline base layer: the city's streets (OpenStreetMap data, built by `npm run roads`) as GeoJSON from this
 * server, drawn on one canvas under everything else. Not interactive: it is the map, not data.
 * @param {string} path
 */
async function drawStreets(path) {
  try {
    const res = await fetch(path);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const data = await res.json();
    map.createPane('streets').style.zIndex = '250';
    const casing = L.canvas({ pane: 'streets' });
    /** @param {any} feature */
    const weight = (feature) => STREET_WEIGHT[feature?.properties?.highway] ?? 2;
    // A light casing under a white fill: streets read as streets at every zoom.
    L.geoJSON(data, {
      renderer: casing,
      interactive: false,
      style: (/** @type {any} */ f) => ({ color: '#aeb8c6', weight: weight(f) + 2, opacity: 1, lineCap: 'round' }),
    }).addTo(map);
    const layer = L.geoJSON(data, {
      renderer: casing,
      interactive: false,
      style: (/** @type {any} */ f) => ({
        color: f?.properties?.highway === 'pedestrian' ? '#f4efe6' : '#ffffff',
        weight: weight(f),
        opacity: 1,
        lineCap: 'round',
      }),
    }).addTo(map);
    streetCount = layer.getLayers().length;
    document.body.dataset.streets = String(streetCount);
    map.attributionControl.addAttribution(
      'streets © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors, ODbL',
    );
    if (!fitted && stores.size === 0 && riders.size === 0) map.fitBounds(layer.getBounds(), { animate: false });
  } catch (error) {
    map.attributionControl.addAttribution('offline grid — set MAP_TILE_URL for tiles');
    console.warn('street layer unavailable', error);
  }
}

L.control.scale({ imperial: false, position: 'bottomright' }).addTo(map);

// Layer order: routes under orders under stores under riders.
map.createPane('routes').style.zIndex = '410';
map.createPane('orders').style.zIndex = '420';
map.createPane('stores').style.zIndex = '630';
map.createPane('riders').style.zIndex = '640';

// ---------------------------------------------------------------------------------------------------------------
// State

/** @type {Map<string, {data: Store, marker: any}>} */
const stores = new Map();
/** @type {Map<string, {data: Rider, marker: any, anim: number|null}>} */
const riders = new Map();
/** @type {Map<string, {data: Order, marker: any, removeTimer: number|null}>} */
const orders = new Map();
/** @type {Map<string, {data: Batch, route: any, path: any}>} */
const batches = new Map();
let fitted = false;

/** @param {string} s */
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** @param {string} id */
const short = (id) => String(id).slice(0, 8);

// ---------------------------------------------------------------------------------------------------------------
// Stores

/** @param {Store} s */
function upsertStore(s) {
  const known = stores.get(s.id);
  if (known) {
    known.data = s;
    known.marker.setLatLng([s.lat, s.lon]);
    return;
  }
  const icon = L.divIcon({
    className: 'store-marker',
    html: `<div class="store-pin" data-store-id="${esc(s.id)}"></div>`,
    iconSize: [22, 22],
    iconAnchor: [11, 11],
  });
  const marker = L.marker([s.lat, s.lon], { icon, pane: 'stores', keyboard: false, title: s.name })
    .bindTooltip(esc(s.name), { permanent: true, direction: 'right', offset: [12, 0], className: 'store-label' })
    .bindPopup(() => `<b>${esc(s.name)}</b><br>store ${short(s.id)}`)
    .addTo(map);
  stores.set(s.id, { data: s, marker });
}

// ---------------------------------------------------------------------------------------------------------------
// Riders

/** @param {{data: Rider, marker: any}} r */
function riderClass(r) {
  return `rider-marker status-${r.data.status}${r.data.source === 'db' ? ' stale' : ''}`;
}

/** @param {{data: Rider, marker: any}} r */
function restyleRider(r) {
  const el = r.marker.getElement();
  if (el) {
    for (const c of [...el.classList]) if (c.startsWith('status-')) el.classList.remove(c);
    el.classList.add(`status-${r.data.status}`);
    el.classList.toggle('stale', r.data.source === 'db');
    el.dataset.status = r.data.status;
  }
}

/** @param {Rider} r */
function riderPopup(r) {
  const batch = r.batchId ? `<br>batch ${short(r.batchId)}` : '';
  return `<b>${esc(r.name)}</b> <span class="popup-status" style="background:${RIDER_COLORS[r.status] ?? '#999'}">${esc(r.status)}</span><br>rider ${short(r.id)}${batch}`;
}

/** @param {Rider} r */
function upsertRider(r) {
  if (r.status === 'offline') return removeRider(r.id);
  const known = riders.get(r.id);
  if (known) {
    const moved = r.lat !== null && r.lon !== null && (r.lat !== known.data.lat || r.lon !== known.data.lon);
    known.data = { ...known.data, ...r };
    if (moved && r.lat !== null && r.lon !== null) glide(known, [r.lat, r.lon]);
    restyleRider(known);
    return;
  }
  if (r.lat === null || r.lon === null) {
    riders.set(r.id, { data: r, marker: null, anim: null });
    return;
  }
  /** @type {{data: Rider, marker: any, anim: number|null}} */
  const entry = { data: r, marker: null, anim: null };
  const icon = L.divIcon({
    className: riderClass(entry),
    html: `<div class="rider-dot" data-rider-id="${esc(r.id)}"></div>`,
    iconSize: [20, 20],
    iconAnchor: [10, 10],
  });
  entry.marker = L.marker([r.lat, r.lon], { icon, pane: 'riders', keyboard: false, title: r.name, riseOnHover: true })
    .bindPopup(() => riderPopup(entry.data))
    .addTo(map);
  const el = entry.marker.getElement();
  if (el) {
    el.dataset.riderId = r.id;
    el.dataset.status = r.status;
  }
  riders.set(r.id, entry);
}

/** @param {string} id */
function removeRider(id) {
  const r = riders.get(id);
  if (!r) return;
  if (r.anim !== null) cancelAnimationFrame(r.anim);
  if (r.marker) map.removeLayer(r.marker);
  riders.delete(id);
}

/**
 * Moves a rider marker smoothly (ease-out) from where it is drawn now to `to`.
 * @param {{data: Rider, marker: any, anim: number|null}} r
 * @param {[number, number]} to
 */
function glide(r, to) {
  if (!r.marker) {
    riders.delete(r.data.id);
    upsertRider({ ...r.data, lat: to[0], lon: to[1] });
    return;
  }
  if (r.anim !== null) cancelAnimationFrame(r.anim);
  const from = r.marker.getLatLng();
  const start = performance.now();
  /** @param {number} now */
  const step = (now) => {
    const t = Math.min(1, (now - start) / MOVE_MS);
    const k = 1 - (1 - t) * (1 - t);
    r.marker.setLatLng([from.lat + (to[0] - from.lat) * k, from.lng + (to[1] - from.lng) * k]);
    r.anim = t < 1 ? requestAnimationFrame(step) : null;
  };
  // Hidden tabs get no animation frames; jump instead of queueing a stale glide.
  if (document.hidden) r.marker.setLatLng(to);
  else r.anim = requestAnimationFrame(step);
}

// ---------------------------------------------------------------------------------------------------------------
// Orders

/** @param {Order} o */
function orderStyle(o) {
  const color = ORDER_COLORS[o.status] ?? '#64748b';
  const done = o.status === 'delivered';
  return {
    radius: done ? 3.5 : 5,
    color: '#ffffff',
    weight: 1.2,
    fillColor: color,
    fillOpacity: done ? 0.45 : 0.9,
    opacity: done ? 0.5 : 1,
  };
}

/** @param {Order} o */
function orderPopup(o) {
  const parts = [
    `<b>order ${short(o.id)}</b> <span class="popup-status" style="background:${ORDER_COLORS[o.status]}">${esc(ORDER_LABELS[o.status] ?? o.status)}</span>`,
  ];
  const store = stores.get(o.storeId);
  if (store) parts.push(`from ${esc(store.data.name)}`);
  if (o.batchId) parts.push(`batch ${short(o.batchId)}`);
  if (o.riderId) parts.push(`rider ${esc(riders.get(o.riderId)?.data.name ?? short(o.riderId))}`);
  parts.push(`placed ${clockTime(o.placedAt)}${simulated() ? ' (simulated)' : ''}`);
  return parts.join('<br>');
}

/** @param {Order} o */
function upsertOrder(o) {
  if (o.status === 'cancelled') return removeOrder(o.id);
  let entry = orders.get(o.id);
  if (entry) {
    entry.data = o;
    entry.marker.setLatLng([o.lat, o.lon]);
    entry.marker.setStyle(orderStyle(o));
    const el = entry.marker.getElement();
    if (el) el.setAttribute('class', `leaflet-interactive order-marker status-${o.status}`);
  } else {
    const marker = L.circleMarker([o.lat, o.lon], {
      ...orderStyle(o),
      pane: 'orders',
      className: `order-marker status-${o.status}`,
    })
      .bindPopup(() => orderPopup(entry ? entry.data : o))
      .addTo(map);
    marker.getElement()?.setAttribute('data-order-id', o.id);
    entry = { data: o, marker, removeTimer: null };
    orders.set(o.id, entry);
  }
  if (o.status === 'delivered' && entry.removeTimer === null) {
    entry.removeTimer = window.setTimeout(() => removeOrder(o.id), deliveredTtlWallMs());
  }
}

/** @param {string} id */
function removeOrder(id) {
  const o = orders.get(id);
  if (!o) return;
  if (o.removeTimer !== null) clearTimeout(o.removeTimer);
  map.removeLayer(o.marker);
  orders.delete(id);
}

// ---------------------------------------------------------------------------------------------------------------
// Batches

/**
 * The route a batch's rider follows: its refined stops, else the store and then its orders' drops in batch order.
 * @param {Batch} b
 * @returns {Array<[number, number]>}
 */
function batchRoute(b) {
  if (b.stops && b.stops.length > 1) return b.stops.map((s) => /** @type {[number, number]} */ ([s.lat, s.lon]));
  const store = stores.get(b.storeId);
  /** @type {Array<[number, number]>} */
  const points = store ? [[store.data.lat, store.data.lon]] : [];
  for (const id of b.orderIds) {
    const o = orders.get(id);
    if (o) points.push([o.data.lat, o.data.lon]);
  }
  return points;
}

/**
 * Draws a batch's route only while a rider is on it (assigned or picked up). Batches still collecting orders or
 * waiting for a rider are shown by their orders' colour alone: in a busy evening there are hundreds of them, and
 * their lines would bury the riders.
 * @param {Batch} b
 */
function upsertBatch(b) {
  if (b.status === 'delivered' || b.status === 'cancelled') return removeBatch(b.id);
  let entry = batches.get(b.id);
  if (!entry) {
    entry = { data: b, route: null, path: null };
    batches.set(b.id, entry);
  }
  entry.data = b;
  const onTheRoad = b.status === 'assigned' || b.status === 'picked_up';
  if (!onTheRoad) {
    if (entry.route) map.removeLayer(entry.route);
    if (entry.path) map.removeLayer(entry.path);
    entry.route = null;
    entry.path = null;
    return;
  }
  const style = {
    color: BATCH_COLORS[b.status] ?? '#6366f1',
    weight: 4,
    opacity: 0.8,
    lineJoin: 'round',
    lineCap: 'round',
    pane: 'routes',
    className: `batch-route status-${b.status}`,
  };
  const points = batchRoute(b);
  if (entry.route) {
    entry.route.setLatLngs(points);
    entry.route.setStyle(style);
  } else {
    entry.route = L.polyline(points, style)
      .bindPopup(() => batchPopup(b.id))
      .addTo(map);
  }
  if (b.path && b.path.length > 1) {
    if (entry.path) entry.path.setLatLngs(b.path);
    else
      entry.path = L.polyline(b.path, {
        color: '#475569',
        weight: 2,
        opacity: 0.5,
        dashArray: '4 6',
        pane: 'routes',
        interactive: false,
        className: 'hot-path',
      }).addTo(map);
  }
}

/** @param {string} id */
function batchPopup(id) {
  const b = batches.get(id)?.data;
  if (!b) return '';
  const rider = b.riderId ? (riders.get(b.riderId)?.data.name ?? short(b.riderId)) : 'none yet';
  return `<b>batch ${short(b.id)}</b> <span class="popup-status" style="background:${BATCH_COLORS[b.status]}">${esc(b.status)}</span><br>${b.orderIds.length} order(s) · rider ${esc(rider)}`;
}

/** @param {string} id */
function removeBatch(id) {
  const b = batches.get(id);
  if (!b) return;
  if (b.route) map.removeLayer(b.route);
  if (b.path) map.removeLayer(b.path);
  batches.delete(id);
}

// ---------------------------------------------------------------------------------------------------------------
// Snapshot

/**
 * Makes the map equal to the snapshot: upserts what it lists, removes what it no longer lists.
 * @param {Snapshot} snap
 */
function applySnapshot(snap) {
  clock.timeScale = snap.stats.timeScale ?? 1;
  if (typeof snap.recentDeliveredMs === 'number') clock.recentDeliveredMs = snap.recentDeliveredMs;
  for (const s of snap.stores) upsertStore(s);
  const seen = {
    riders: new Set(snap.riders.map((r) => r.id)),
    orders: new Set(snap.orders.map((o) => o.id)),
    batches: new Set(snap.batches.map((b) => b.id)),
  };
  for (const id of [...riders.keys()]) if (!seen.riders.has(id)) removeRider(id);
  for (const id of [...orders.keys()]) if (!seen.orders.has(id)) removeOrder(id);
  for (const id of [...batches.keys()]) if (!seen.batches.has(id)) removeBatch(id);
  for (const r of snap.riders) upsertRider(r);
  for (const o of snap.orders) upsertOrder(o);
  for (const b of snap.batches) upsertBatch(b);
  renderStats(snap.stats);
  renderStatusBar();
  if (!fitted) fitToContent();
}

function fitToContent() {
  /** @type {Array<[number, number]>} */
  const points = [];
  for (const s of stores.values()) points.push([s.data.lat, s.data.lon]);
  for (const r of riders.values())
    if (r.data.lat !== null && r.data.lon !== null) points.push([r.data.lat, r.data.lon]);
  if (points.length === 0) for (const o of orders.values()) points.push([o.data.lat, o.data.lon]);
  if (points.length === 0) return;
  map.fitBounds(L.latLngBounds(points).pad(0.25), { maxZoom: 15, animate: false });
  fitted = true;
}

let snapshotInFlight = false;
let resyncTimer = /** @type {number|null} */ (null);

async function loadSnapshot() {
  if (snapshotInFlight) return;
  snapshotInFlight = true;
  try {
    const res = await authedFetch(CONFIG.statePath || '/map/state');
    if (!res.ok) throw new Error(`GET /map/state answered ${res.status}`);
    applySnapshot(await res.json());
    document.body.dataset.loaded = 'true';
  } catch (error) {
    console.warn('snapshot failed', error);
  } finally {
    snapshotInFlight = false;
  }
}

/** Re-reads the snapshot soon, once, however many events ask for it. */
function scheduleResync(delayMs = 1_000) {
  if (resyncTimer !== null) return;
  resyncTimer = window.setTimeout(() => {
    resyncTimer = null;
    void loadSnapshot();
  }, delayMs);
}

// ---------------------------------------------------------------------------------------------------------------
// Figures panel

/** @param {number|null} s */
function formatDuration(s) {
  if (s === null || !Number.isFinite(s)) return '–';
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(sec).padStart(2, '0')}s`;
}

/** `HH:MM:SS` UTC of an ISO instant on the API's clock (the simulated clock's zone is UTC). @param {string} iso */
function clockTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '–' : d.toISOString().slice(11, 19);
}

/** @param {string} id @param {string|number} value */
function setText(id, value) {
  const el = document.getElementById(id);
  if (el && el.textContent !== String(value)) el.textContent = String(value);
}

/** @param {Stats} s */
function renderStats(s) {
  clock.timeScale = s.timeScale ?? clock.timeScale;
  const sim = simulated();
  setText('fig-placed', s.orders.placed.toLocaleString());
  setText('fig-delivered', s.orders.delivered.toLocaleString());
  setText('fig-active', s.orders.active.toLocaleString());
  setText('fig-unassigned', (s.orders.unassigned ?? 0).toLocaleString());
  setText('fig-idle', s.riders.idle.toLocaleString());
  setText('fig-busy', s.riders.busy.toLocaleString());
  setText('fig-c2d', formatDuration(s.meanClickToDoorS));
  setText('fig-c2d-label', `mean click-to-door (${sim ? 'simulated' : 'wall clock'})`);
  setText('fig-day-label', sim ? 'Today (simulated day)' : 'Today');
  setText('stats-since', `since ${new Date(s.since).toISOString().slice(11, 16)} UTC`);
  setText(
    'clock',
    sim ? `simulated clock ${clockTime(s.at)} UTC · ${s.timeScale}× real time` : `${clockTime(s.at)} UTC`,
  );
  document.body.dataset.timeScale = String(s.timeScale ?? 1);
}

function renderStatusBar() {
  /** @type {Record<string, number>} */
  const counts = {};
  for (const o of orders.values()) counts[o.data.status] = (counts[o.data.status] ?? 0) + 1;
  const total = orders.size;
  const bar = document.getElementById('status-bar');
  const legend = document.getElementById('status-legend');
  const statuses = /** @type {OrderStatus[]} */ (Object.keys(ORDER_COLORS).filter((s) => s !== 'cancelled'));
  if (bar) {
    bar.innerHTML =
      total === 0
        ? ''
        : statuses
            .filter((s) => counts[s])
            .map(
              (s) =>
                `<span title="${ORDER_LABELS[s]}: ${counts[s]}" style="width:${((counts[s] ?? 0) / total) * 100}%;background:${ORDER_COLORS[s]}"></span>`,
            )
            .join('');
  }
  if (legend) {
    // Delivered orders stay on the map only briefly: say so, so the count is not read as the day's total.
    const recentMin = Math.round(clock.recentDeliveredMs / 60_000);
    const label = (/** @type {OrderStatus} */ s) =>
      s === 'delivered' ? `delivered, last ${recentMin} min${simulated() ? ' (sim)' : ''}` : ORDER_LABELS[s];
    legend.innerHTML = statuses
      .map(
        (s) =>
          `<li><span class="swatch" style="background:${ORDER_COLORS[s]}"></span>${label(s)}<span class="n">${counts[s] ?? 0}</span></li>`,
      )
      .join('');
  }
  setText('counts', `${stores.size} stores · ${riders.size} riders · ${orders.size} orders · ${batches.size} batches`);
}

let statusBarQueued = false;
function queueStatusBar() {
  if (statusBarQueued) return;
  statusBarQueued = true;
  setTimeout(() => {
    statusBarQueued = false;
    renderStatusBar();
  }, 250);
}

async function loadStats() {
  try {
    const res = await authedFetch('/stats/live');
    if (res.ok) renderStats(await res.json());
  } catch {
    /* the next tick tries again */
  }
}

/** @param {string} text @param {string} color */
function feed(text, color, at = /** @type {string|undefined} */ (undefined)) {
  const list = document.getElementById('feed');
  if (!list) return;
  list.querySelector('.feed-empty')?.remove();
  const li = document.createElement('li');
  // The event's own time (the API's clock, simulated under npm start), like every other time on the page.
  li.innerHTML = `<time>${at ? clockTime(at) : new Date().toLocaleTimeString([], { hour12: false })}</time><span class="dot" style="background:${color}"></span><span>${text}</span>`;
  list.prepend(li);
  while (list.children.length > 12) list.lastElementChild?.remove();
}

// ---------------------------------------------------------------------------------------------------------------
// Live events

/** @param {HubMessage} msg */
function applyEvent(msg) {
  const d = msg.data ?? {};
  switch (msg.type) {
    case 'rider.locations': // a bulk post's pings in one frame
      for (const data of d.locations ?? []) applyEvent({ ...msg, type: 'rider.location', data });
      return;
    case 'rider.location': {
      const r = riders.get(d.riderId);
      const lat = Number(d.lat);
      const lon = Number(d.lon);
      if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
      if (r) {
        r.data = {
          ...r.data,
          source: 'geo',
          recordedAt: d.recordedAt ?? r.data.recordedAt,
          ...(d.status ? { status: d.status } : {}),
          ...(d.batchId !== undefined ? { batchId: d.batchId } : {}),
        };
        if (r.marker) {
          glide(r, [lat, lon]);
          r.data.lat = lat;
          r.data.lon = lon;
          restyleRider(r);
        } else upsertRider({ ...r.data, lat, lon });
      } else {
        upsertRider({
          id: d.riderId,
          name: `rider ${short(d.riderId)}`,
          status: d.status ?? 'idle',
          lat,
          lon,
          recordedAt: d.recordedAt ?? null,
          source: 'geo',
          batchId: d.batchId ?? null,
        });
        scheduleResync(); // learn its name and status
      }
      return;
    }
    case 'rider.updated': {
      const r = riders.get(d.riderId);
      if (d.status === 'offline') removeRider(d.riderId);
      else if (r) {
        r.data.status = d.status;
        if (d.batchId !== undefined) r.data.batchId = d.batchId;
        restyleRider(r);
      } else {
        const pos = d.position ?? null;
        upsertRider({
          id: d.riderId,
          name: `rider ${short(d.riderId)}`,
          status: d.status,
          lat: pos?.lat ?? null,
          lon: pos?.lon ?? null,
          recordedAt: null,
          source: pos ? 'db' : null,
          batchId: d.batchId ?? null,
        });
        scheduleResync();
      }
      feed(
        `${esc(riders.get(d.riderId)?.data.name ?? `rider ${short(d.riderId)}`)} is <b>${esc(d.status)}</b>`,
        RIDER_COLORS[/** @type {RiderStatus} */ (d.status)] ?? '#999',
        msg.at,
      );
      return;
    }
    case 'order.updated': {
      const o = orders.get(d.orderId);
      const status = /** @type {OrderStatus} */ (d.status);
      if (o) {
        upsertOrder({
          ...o.data,
          status,
          ...(d.batchId !== undefined ? { batchId: d.batchId } : {}),
          ...(d.riderId !== undefined ? { riderId: d.riderId } : {}),
        });
      } else if (status !== 'cancelled') {
        const drop = d.drop ?? (d.lat !== undefined ? { lat: d.lat, lon: d.lon } : null);
        if (drop)
          upsertOrder({
            id: d.orderId,
            storeId: d.storeId,
            status,
            lat: drop.lat,
            lon: drop.lon,
            batchId: d.batchId ?? null,
            riderId: d.riderId ?? null,
            placedAt: msg.at ?? new Date().toISOString(),
          });
        else scheduleResync();
      }
      if (status === 'placed' || status === 'delivered' || status === 'ready') {
        feed(
          `order ${short(d.orderId)} <b>${esc(ORDER_LABELS[status] ?? status)}</b>`,
          ORDER_COLORS[status] ?? '#999',
          msg.at,
        );
      }
      queueStatusBar();
      return;
    }
    case 'batch.updated': {
      const b = batches.get(d.batchId);
      const status = /** @type {BatchStatus} */ (d.status);
      if (b) {
        upsertBatch({
          ...b.data,
          status,
          ...(d.riderId !== undefined ? { riderId: d.riderId } : {}),
          ...(Array.isArray(d.orderIds) ? { orderIds: d.orderIds } : {}),
        });
      }
      // A new batch, or a re-routed one, has stops and geometry only the snapshot carries.
      if (!b || status === 'sealed' || status === 'assigned') scheduleResync();
      if (status === 'assigned' || status === 'picked_up' || status === 'delivered') {
        feed(
          `batch ${short(d.batchId)} <b>${esc(status.replace('_', ' '))}</b>`,
          BATCH_COLORS[status] ?? '#999',
          msg.at,
        );
      }
      return;
    }
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// WebSocket with reconnect and backoff; polling while it is away

/** @param {'live'|'connecting'|'polling'} state @param {string} text */
function setConn(state, text) {
  const el = document.getElementById('conn');
  if (!el) return;
  el.className = `conn conn-${state}`;
  el.textContent = text;
  document.body.dataset.conn = state;
}

let attempt = 0;
let pollTimer = /** @type {number|null} */ (null);
let resyncEvery = /** @type {number|null} */ (null);

function startPolling() {
  if (pollTimer !== null) return;
  pollTimer = window.setInterval(() => void loadSnapshot(), RESYNC_POLLING_MS);
}
function stopPolling() {
  if (pollTimer !== null) clearInterval(pollTimer);
  pollTimer = null;
}

function connect() {
  const key = operatorKey();
  if (!key) return; // the key form is up; the page reloads with one
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${CONFIG.wsPath || '/ws'}?token=${encodeURIComponent(key)}`;
  setConn('connecting', attempt === 0 ? 'connecting' : `reconnecting (${attempt})`);
  let ws;
  try {
    ws = new WebSocket(url);
  } catch {
    return retry();
  }
  ws.addEventListener('open', () => {
    attempt = 0;
    ws.send(JSON.stringify({ type: 'subscribe', channel: 'map' }));
    setConn('live', 'live');
    stopPolling();
    void loadSnapshot(); // events missed while away
    if (resyncEvery === null) resyncEvery = window.setInterval(() => void loadSnapshot(), RESYNC_CONNECTED_MS);
  });
  ws.addEventListener('message', (ev) => {
    try {
      const msg = JSON.parse(typeof ev.data === 'string' ? ev.data : '');
      if (msg && typeof msg.type === 'string') applyEvent(msg);
    } catch (error) {
      console.warn('bad hub message', error);
    }
  });
  ws.addEventListener('close', () => {
    if (resyncEvery !== null) clearInterval(resyncEvery);
    resyncEvery = null;
    retry();
  });
}

function retry() {
  startPolling();
  // 1 s, 2 s, 4 s … capped at 30 s, with jitter so many open pages do not reconnect in lockstep.
  const delay = Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 5)) * (0.75 + Math.random() * 0.5);
  setConn('polling', 'polling');
  attempt++;
  setTimeout(connect, delay);
}

// ---------------------------------------------------------------------------------------------------------------

/** For tests and the console: what the map holds. */
/** @type {any} */ (window).deliverygoMap = {
  map,
  riders,
  orders,
  stores,
  batches,
  riderLatLng: (/** @type {string} */ id) => riders.get(id)?.marker?.getLatLng() ?? null,
  streetCount: () => streetCount,
};

void loadSnapshot().then(() => {
  renderStatusBar();
  connect();
});
setInterval(() => void loadStats(), STATS_MS);
