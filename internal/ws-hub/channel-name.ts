import { getResolution, isValidCell } from 'h3-js';
import { MAP_CELL_RESOLUTION } from '../livefeed/live-feed.ts';

const ENTITY = /^(order|rider|batch):([A-Za-z0-9_-]{1,64})$/;

export type ParsedChannel =
  | { kind: 'order' | 'rider' | 'batch'; id: string }
  | { kind: 'map' }
  | { kind: 'map-cell'; cell: string };

/**
 * Parses a channel a client asks for; undefined when it is not one the hub serves:
 * `order:{id}`, `rider:{id}`, `batch:{id}` (ids of letters, digits, `-`, `_`, ≤ 64), `map`, `map:{H3 res-5 cell}`.
 */
export function parseChannel(channel: unknown): ParsedChannel | undefined {
  if (typeof channel !== 'string') return undefined;
  if (channel === 'map') return { kind: 'map' };
  if (channel.startsWith('map:')) {
    const cell = channel.slice(4);
    return isValidCell(cell) && getResolution(cell) === MAP_CELL_RESOLUTION ? { kind: 'map-cell', cell } : undefined;
  }
  const m = ENTITY.exec(channel);
  return m ? { kind: m[1] as 'order' | 'rider' | 'batch', id: m[2]! } : undefined;
}
