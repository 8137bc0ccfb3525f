import { areNeighborCells, getHexagonEdgeLengthAvg, gridDisk, latLngToCell, UNITS } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { corridorCells, GeoInputError, type LineStringLike } from './corridor.ts';
import { haversineM } from './haversine.ts';

const line = (...coordinates: Array<[number, number]>): LineStringLike => ({ type: 'LineString', coordinates });

/** Points every `stepM` metres along the segments (linear in lon/lat: fine at city scale), as [lon, lat]. */
function denseSamples(l: LineStringLike, stepM: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 1; i < l.coordinates.length; i++) {
    const [lon0, lat0] = l.coordinates[i - 1]!;
    const [lon1, lat1] = l.coordinates[i]!;
    const n = Math.max(1, Math.ceil(haversineM({ lat: lat0, lon: lon0 }, { lat: lat1, lon: lon1 }) / stepM));
    for (let s = 0; s <= n; s++) out.push([lon0 + ((lon1 - lon0) * s) / n, lat0 + ((lat1 - lat0) * s) / n]);
  }
  return out;
}

const expectConnectedChain = (cells: string[]): void => {
  for (let i = 1; i < cells.length; i++)
    expect(areNeighborCells(cells[i - 1]!, cells[i]!), `cells ${i - 1}→${i}`).toBe(true);
};

// A 6 km diagonal across Bengaluru and an L-shaped route around a block.
const DIAGONAL = line([77.5946, 12.9716], [77.6346, 13.0066]);
const L_SHAPE = line([77.6, 12.97], [77.62, 12.97], [77.62, 12.99]);

describe('corridorCells', () => {
  it('is the cell of the point for a single position, and its disc when widened', () => {
    const cell = latLngToCell(12.9716, 77.5946, 9);
    expect(corridorCells(line([77.5946, 12.9716]), { resolution: 9 })).toEqual([cell]);
    const disc = corridorCells(line([77.5946, 12.9716]), { resolution: 9, corridorK: 1 });
    expect(disc).toHaveLength(7);
    expect(new Set(disc)).toEqual(new Set(gridDisk(cell, 1)));
  });

  it('interpolates segments longer than a cell edge: a two-position line covers every cell it crosses', () => {
    const cells = corridorCells(DIAGONAL, { resolution: 9 });
    const edgeM = getHexagonEdgeLengthAvg(9, UNITS.m);
    // 6 km at ~174 m edges: far more than the two end cells.
    expect(cells.length).toBeGreaterThan(20);
    expect(cells[0]).toBe(latLngToCell(12.9716, 77.5946, 9));
    expect(cells.at(-1)).toBe(latLngToCell(13.0066, 77.6346, 9));
    const set = new Set(cells);
    for (const [lon, lat] of denseSamples(DIAGONAL, edgeM / 20)) {
      expect(set.has(latLngToCell(lat, lon, 9)), `${lat},${lon}`).toBe(true);
    }
  });

  it('follows every segment of a polyline as one connected chain of distinct cells', () => {
    for (const resolution of [7, 8, 9, 10]) {
      const cells = corridorCells(L_SHAPE, { resolution });
      expect(new Set(cells).size).toBe(cells.length);
      expectConnectedChain(cells);
      const set = new Set(cells);
      for (const [lon, lat] of denseSamples(L_SHAPE, 5)) expect(set.has(latLngToCell(lat, lon, resolution))).toBe(true);
    }
  });

  it('widens by corridorK rings: exactly the union of the k-discs of the centre line', () => {
    const centre = corridorCells(L_SHAPE, { resolution: 9 });
    for (const corridorK of [1, 2]) {
      const wide = corridorCells(L_SHAPE, { resolution: 9, corridorK });
      expect(new Set(wide).size).toBe(wide.length);
      expect(new Set(wide)).toEqual(new Set(centre.flatMap((c) => gridDisk(c, corridorK))));
    }
  });

  it('covers a drop 250 m beside the road only once the corridor is widened', () => {
    // 250 m north of the middle of the first (west→east) leg of the L.
    const drop = { lat: 12.97 + 250 / 111_195, lon: 77.61 };
    const dropCell = latLngToCell(drop.lat, drop.lon, 9);
    expect(corridorCells(L_SHAPE, { resolution: 9 })).not.toContain(dropCell);
    expect(corridorCells(L_SHAPE, { resolution: 9, corridorK: 2 })).toContain(dropCell);
  });

  it('crosses the antimeridian the short way', () => {
    const cells = corridorCells(line([179.99, 0], [-179.99, 0]), { resolution: 7 });
    // ~2.2 km at ~1.4 km edges: a handful of cells, not a trip around the world.
    expect(cells.length).toBeLessThanOrEqual(5);
    expectConnectedChain(cells);
  });

  it('refuses bad input, naming the field', () => {
    const fieldOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(GeoInputError);
        return (error as GeoInputError).field;
      }
      throw new Error('did not throw');
    };
    expect(fieldOf(() => corridorCells(line(), { resolution: 9 }))).toBe('coordinates');
    expect(fieldOf(() => corridorCells(line([77.6, 12.9], [77.6, 91]), { resolution: 9 }))).toBe('coordinates[1][1]');
    expect(fieldOf(() => corridorCells(line([181, 12.9]), { resolution: 9 }))).toBe('coordinates[0][0]');
    expect(fieldOf(() => corridorCells(line([Number.NaN, 12.9]), { resolution: 9 }))).toBe('coordinates[0][0]');
    expect(fieldOf(() => corridorCells(DIAGONAL, { resolution: 16 }))).toBe('resolution');
    expect(fieldOf(() => corridorCells(DIAGONAL, { resolution: 8.5 }))).toBe('resolution');
    expect(fieldOf(() => corridorCells(DIAGONAL, { resolution: 9, corridorK: -1 }))).toBe('corridorK');
    expect(fieldOf(() => corridorCells(DIAGONAL, { resolution: 15, maxSamples: 1000 }))).toBe('coordinates');
    expect(new GeoInputError('resolution', 'x')).toMatchObject({ kind: 'invalid_input', slug: 'geo.invalid_input' });
  });
});
