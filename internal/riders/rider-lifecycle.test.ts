import { describe, expect, it } from 'vitest';
import type { RiderStatus } from '../db/schema.ts';
import { nextRiderStatus, shiftChange } from './rider-lifecycle.ts';

const ALL: RiderStatus[] = ['offline', 'idle', 'assigned', 'delivering'];

describe('shiftChange', () => {
  it.each([
    ['offline', 'idle', 'change'],
    ['offline', 'offline', 'same'],
    ['idle', 'offline', 'change'],
    ['idle', 'idle', 'same'],
    ['assigned', 'offline', 'illegal'],
    ['assigned', 'idle', 'illegal'],
    ['delivering', 'offline', 'illegal'],
    ['delivering', 'idle', 'illegal'],
  ] as const)('%s → %s is %s', (from, to, outcome) => {
    expect(shiftChange(from, to)).toBe(outcome);
  });
});

describe('nextRiderStatus', () => {
  it('follows idle → assigned → delivering → idle (or assigned → idle on release) and nothing else', () => {
    const legal = new Map([
      ['idle:assign', 'assigned'],
      ['assigned:pick_up', 'delivering'],
      ['delivering:finish', 'idle'],
      ['assigned:release', 'idle'],
    ]);
    for (const from of ALL) {
      for (const step of ['assign', 'pick_up', 'finish', 'release'] as const) {
        expect(nextRiderStatus(from, step), `${from}:${step}`).toBe(legal.get(`${from}:${step}`) ?? null);
      }
    }
  });
});
