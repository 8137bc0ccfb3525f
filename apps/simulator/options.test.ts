import { describe, expect, it } from 'vitest';
import { OptionsError, parseSimulatorArgs } from './options.ts';

describe('simulator flags', () => {
  it('has defaults', () => {
    const o = parseSimulatorArgs(['--seed', '7']);
    expect(o).toMatchObject({
      api: 'http://127.0.0.1:8000',
      riders: 10,
      stores: 5,
      mode: 'steady',
      rate: undefined,
      utilisation: 0.55,
      bundleSize: 1.1,
      speed: 1,
      farRate: 0.05,
      seed: 7,
      durationS: undefined,
    });
    expect(o.center).toEqual({ lat: 48.8566, lon: 2.3522 });
  });

  it('parses every flag', () => {
    const o = parseSimulatorArgs([
      '--api',
      'http://localhost:9000',
      '--riders',
      '20',
      '--stores',
      '3',
      '--center',
      '52.52, 13.405',
      '--mode',
      'delivery_rush',
      '--rate',
      '4.5',
      '--speed',
      '12',
      '--duration',
      '90',
      '--far-rate',
      '0.1',
      '--rider-speed',
      '18',
      '--ping-ms',
      '500',
      '--progress',
      '2',
    ]);
    expect(o).toMatchObject({
      api: 'http://localhost:9000',
      riders: 20,
      stores: 3,
      center: { lat: 52.52, lon: 13.405 },
      mode: 'delivery_rush',
      rate: 4.5,
      speed: 12,
      durationS: 90,
      farRate: 0.1,
      riderSpeedKmh: 18,
      pingIntervalMs: 500,
      progressS: 2,
    });
  });

  it.each([
    [['--riders', '-1'], '--riders'],
    [['--riders', 'ten'], '--riders'],
    [['--mode', 'lunch'], '--mode'],
    [['--center', '91,0'], '--center'],
    [['--center', '48.8'], '--center'],
    [['--far-rate', '1.5'], '--far-rate'],
    [['--speed', '0'], '--speed'],
    [['--utilisation', '0'], '--utilisation'],
    [['--utilisation', '1.2'], '--utilisation'],
    [['--bundle', '0.5'], '--bundle'],
    [['--api', 'ftp://x'], '--api'],
    [['--bogus', '1'], 'bogus'],
  ])('rejects %j naming the flag', (args, flag) => {
    expect(() => parseSimulatorArgs(args)).toThrow(OptionsError);
    expect(() => parseSimulatorArgs(args)).toThrow(flag);
  });
});
