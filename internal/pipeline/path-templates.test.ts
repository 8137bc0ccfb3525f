import { cellToParent, gridDisk, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { StraightLineRouter } from '../routing/straight-line-router.ts';
import { buildPathTemplate, pathIdOf } from './path-templates.ts';

const store = { id: '0b4e3f1a-0000-4000-8000-000000000001', lat: 48.8566, lon: 2.3522 };

describe('hot-path templates', () => {
  it('derive their id from store and cell only', () => {
    const cell = latLngToCell(48.87, 2.37, 8);
    expect(pathIdOf(store.id, cell)).toBe(pathIdOf(store.id, cell));
    expect(pathIdOf(store.id, cell)).not.toBe(pathIdOf(store.id, cellToParent(cell, 7)));
    expect(pathIdOf(store.id, cell)).not.toBe(pathIdOf('0b4e3f1a-0000-4000-8000-000000000002', cell));
  });

  it('route from the store to the snapped cell centre, with the corridor of cells along the way', async () => {
    const cell = latLngToCell(48.875, 2.38, 8);
    const template = await buildPathTemplate(new StraightLineRouter(), store, cell, 8, 1, 'StraightLineRouter');
    expect(template.id).toBe(pathIdOf(store.id, cell));
    expect(template.row.distance_m).toBeGreaterThan(2_000);
    expect(template.row.duration_s).toBeGreaterThan(2_000 / 10);
    expect(template.corridor).toContain(cell);
    const storeCell = latLngToCell(store.lat, store.lon, 8);
    expect(template.corridor).toContain(storeCell);
    // Widened by one ring: the store cell's neighbours are on the corridor too.
    for (const c of gridDisk(storeCell, 1)) expect(template.corridor).toContain(c);
    // Halfway along, an order "near the way" is covered.
    expect(template.corridor).toContain(latLngToCell((48.8566 + 48.875) / 2, (2.3522 + 2.38) / 2, 8));
    expect(JSON.parse(template.row.geometry as string).type).toBe('LineString');
  });
});
