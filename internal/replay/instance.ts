/**
 * MDRPLIB instance files (tab-separated, one header line, integer minutes, metres on a plane). Parsing is pure; only
 * `loadInstance` touches the file system. Instances are read from ../shared/mdrplib, never copied.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { invalidInput } from '../platform/errors.ts';

export interface PlanePoint {
  readonly x: number;
  readonly y: number;
}

export interface MdrpOrder extends PlanePoint {
  readonly id: string;
  readonly placementTime: number;
  readonly restaurant: string;
  readonly readyTime: number;
}

export interface MdrpRestaurant extends PlanePoint {
  readonly id: string;
}

export interface MdrpCourier extends PlanePoint {
  readonly id: string;
  readonly onTime: number;
  readonly offTime: number;
}

export interface MdrpParameters {
  readonly metersPerMinute: number;
  readonly pickupServiceMinutes: number;
  readonly dropoffServiceMinutes: number;
  readonly targetClickToDoor: number;
  readonly maxClickToDoor: number;
  readonly payPerOrder: number;
  readonly guaranteedPayPerHour: number;
}

export interface MdrpInstance {
  readonly name: string;
  readonly orders: readonly MdrpOrder[];
  readonly restaurants: readonly MdrpRestaurant[];
  readonly couriers: readonly MdrpCourier[];
  readonly parameters: MdrpParameters;
}

export interface InstanceTexts {
  readonly orders: string;
  readonly restaurants: string;
  readonly couriers: string;
  readonly parameters: string;
}

function rows(text: string, file: string, columns: readonly string[]): string[][] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split('\t').map((h) => h.trim());
  if (columns.some((c, i) => header[i] !== c)) {
    throw invalidInput('replay.instance_invalid', `${file}: expected header "${columns.join('\t')}"`, { field: file });
  }
  return lines.slice(1).map((line, i) => {
    const cells = line.split('\t').map((c) => c.trim());
    if (cells.length < columns.length) {
      throw invalidInput('replay.instance_invalid', `${file} line ${i + 2}: expected ${columns.length} columns`, {
        field: file,
      });
    }
    return cells;
  });
}

function num(value: string | undefined, file: string, field: string): number {
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(n)) {
    throw invalidInput('replay.instance_invalid', `${file}: ${field} is not a number (${value})`, {
      field: `${file}.${field}`,
    });
  }
  return n;
}

/** Parses the four data files of one instance. */
export function parseInstance(name: string, texts: InstanceTexts): MdrpInstance {
  const orders = rows(texts.orders, 'orders.txt', [
    'order',
    'x',
    'y',
    'placement_time',
    'restaurant',
    'ready_time',
  ]).map((c) => ({
    id: c[0]!,
    x: num(c[1], 'orders.txt', 'x'),
    y: num(c[2], 'orders.txt', 'y'),
    placementTime: num(c[3], 'orders.txt', 'placement_time'),
    restaurant: c[4]!,
    readyTime: num(c[5], 'orders.txt', 'ready_time'),
  }));
  const restaurants = rows(texts.restaurants, 'restaurants.txt', ['restaurant', 'x', 'y']).map((c) => ({
    id: c[0]!,
    x: num(c[1], 'restaurants.txt', 'x'),
    y: num(c[2], 'restaurants.txt', 'y'),
  }));
  const couriers = rows(texts.couriers, 'couriers.txt', ['courier', 'x', 'y', 'on_time', 'off_time']).map((c) => ({
    id: c[0]!,
    x: num(c[1], 'couriers.txt', 'x'),
    y: num(c[2], 'couriers.txt', 'y'),
    onTime: num(c[3], 'couriers.txt', 'on_time'),
    offTime: num(c[4], 'couriers.txt', 'off_time'),
  }));
  const p = rows(texts.parameters, 'instance_parameters.txt', ['meters_per_minute'])[0];
  if (!p)
    throw invalidInput('replay.instance_invalid', 'instance_parameters.txt has no values line', {
      field: 'instance_parameters.txt',
    });
  const f = 'instance_parameters.txt';
  const parameters: MdrpParameters = {
    metersPerMinute: num(p[0], f, 'meters_per_minute'),
    pickupServiceMinutes: num(p[1], f, 'pickup service minutes'),
    dropoffServiceMinutes: num(p[2], f, 'dropoff service minutes'),
    targetClickToDoor: num(p[3], f, 'target click-to-door'),
    maxClickToDoor: num(p[4], f, 'maximum click-to-door'),
    payPerOrder: num(p[5], f, 'pay per order'),
    guaranteedPayPerHour: num(p[6], f, 'guaranteed pay per hour'),
  };
  const known = new Set(restaurants.map((r) => r.id));
  for (const o of orders) {
    if (!known.has(o.restaurant)) {
      throw invalidInput(
        'replay.instance_invalid',
        `orders.txt: order ${o.id} names unknown restaurant ${o.restaurant}`,
        { field: 'orders.txt.restaurant' },
      );
    }
  }
  return { name, orders, restaurants, couriers, parameters };
}

/** Reads one instance folder. */
export async function loadInstance(dir: string): Promise<MdrpInstance> {
  const read = (f: string) => readFile(join(dir, f), 'utf8');
  const [orders, restaurants, couriers, parameters] = await Promise.all([
    read('orders.txt'),
    read('restaurants.txt'),
    read('couriers.txt'),
    read('instance_parameters.txt'),
  ]);
  return parseInstance(basename(dir), { orders, restaurants, couriers, parameters });
}

/**
 * Stacks several instances' days into one (ids prefixed with the source name), e.g. to build a 3,000+-order full day for
 * the benchmark. All sources must share the same parameters.
 */
export function mergeInstances(name: string, sources: readonly MdrpInstance[]): MdrpInstance {
  const first = sources[0];
  if (!first) throw invalidInput('replay.merge_empty', 'nothing to merge', { field: 'sources' });
  for (const s of sources) {
    if (JSON.stringify(s.parameters) !== JSON.stringify(first.parameters)) {
      throw invalidInput('replay.merge_mismatch', `instance ${s.name} has different parameters`, { field: 'sources' });
    }
  }
  const id = (s: MdrpInstance, x: string) => `${s.name}-${x}`;
  return {
    name,
    parameters: first.parameters,
    orders: sources.flatMap((s) => s.orders.map((o) => ({ ...o, id: id(s, o.id), restaurant: id(s, o.restaurant) }))),
    restaurants: sources.flatMap((s) => s.restaurants.map((r) => ({ ...r, id: id(s, r.id) }))),
    couriers: sources.flatMap((s) => s.couriers.map((c) => ({ ...c, id: id(s, c.id) }))),
  };
}
