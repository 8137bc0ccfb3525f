import { describe, expect, it } from 'vitest';
import type { LiveMessage } from './live-feed.ts';
import { frameWriter } from './live-frames.ts';

const at = '2026-01-01T00:00:00.000Z';

describe('frameWriter', () => {
  it('writes what JSON.stringify writes, for shared, nested and unusual data', () => {
    const shared = { riderId: 'r1', lat: 1.5, lon: -2, recordedAt: at, note: 'é ✓ "q" \n' };
    const other = { riderId: 'r2', lat: 0, lon: 0, recordedAt: at };
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: [1, 2], b: 'x' });
    const messages: LiveMessage[] = [
      { channel: 'rider:r1', type: 'rider.location', data: shared, at },
      { channel: 'map', type: 'rider.location', data: shared, at },
      { channel: 'map', type: 'rider.locations', data: { locations: [shared, other] }, at },
      { channel: 'map:8', type: 'rider.locations', data: { locations: [other], n: 1 }, at },
      {
        channel: 'x',
        type: 't',
        data: { list: [undefined, () => 1, null, 'a', [1, [2]], new Date(0)], skip: undefined, fn: () => 2, 2: 'two' },
        at,
      },
      { channel: 'x', type: 't', data: { when: new Date(5), list: { toJSON: () => 'custom' } }, at },
      { channel: 'x', type: 't', data: nullProto, at },
      { channel: 'x', type: 't', data: [shared, [other]], at },
      { channel: 'x', type: 't', data: 'text', at },
      { channel: 'x', type: 't', data: null, at },
      { channel: 'x', type: 't', data: undefined, at },
      { channel: 'x', type: 't', data: new Date(7), at },
    ];
    const frame = frameWriter();
    for (const m of messages) expect(frame(m)).toBe(JSON.stringify(m));
  });

  it('encodes a shared data object once per flush', () => {
    const data = { riderId: 'r1', lat: 1, lon: 2, recordedAt: at };
    let reads = 0;
    const counted = new Proxy(data, {
      get(target, key, receiver) {
        if (key === 'riderId') reads++;
        return Reflect.get(target, key, receiver);
      },
    });
    const frame = frameWriter();
    frame({ channel: 'rider:r1', type: 'rider.location', data: counted, at });
    const firstEncoding = reads;
    expect(firstEncoding).toBeGreaterThan(0);
    frame({ channel: 'map', type: 'rider.location', data: counted, at });
    frame({ channel: 'map', type: 'rider.locations', data: { locations: [counted] }, at });
    expect(reads).toBe(firstEncoding); // read again only by a new flush
    frameWriter()({ channel: 'map', type: 'rider.location', data: counted, at });
    expect(reads).toBeGreaterThan(firstEncoding);
  });
});
