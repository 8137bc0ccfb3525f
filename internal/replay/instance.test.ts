import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.ts';
import { mergeInstances, parseInstance } from './instance.ts';

const texts = {
  orders: 'order\tx\ty\tplacement_time\trestaurant\tready_time\no1\t10\t20\t5\tr1\t15\n',
  restaurants: 'restaurant\tx\ty\nr1\t0\t0\n',
  couriers: 'courier\tx\ty\ton_time\toff_time\nc1\t1\t2\t0\t90\n',
  parameters:
    'meters_per_minute\tpickup service minutes\tdropoff service minutes\ttarget click-to-door\tmaximum click-to-door\tpay per order\tguaranteed pay per hour\n320\t4\t4\t40\t90\t10\t15\n',
};

describe('parseInstance', () => {
  it('reads the tab-separated files', () => {
    const inst = parseInstance('x', texts);
    expect(inst.orders[0]).toEqual({ id: 'o1', x: 10, y: 20, placementTime: 5, restaurant: 'r1', readyTime: 15 });
    expect(inst.couriers[0]).toEqual({ id: 'c1', x: 1, y: 2, onTime: 0, offTime: 90 });
    expect(inst.parameters.metersPerMinute).toBe(320);
    expect(inst.parameters.guaranteedPayPerHour).toBe(15);
  });

  it('names the file and field on bad input', () => {
    const bad = { ...texts, orders: texts.orders.replace('\t5\t', '\tfive\t') };
    expect(() => parseInstance('x', bad)).toThrow(/placement_time/);
    expect(() => parseInstance('x', { ...texts, couriers: 'id\tx\n' })).toThrow(AppError);
    expect(() => parseInstance('x', { ...texts, orders: texts.orders.replace('\tr1\t', '\tr9\t') })).toThrow(
      /unknown restaurant/,
    );
  });

  it('merges days with prefixed ids', () => {
    const a = parseInstance('a', texts);
    const m = mergeInstances('ab', [a, { ...a, name: 'b' }]);
    expect(m.orders.map((o) => `${o.id}@${o.restaurant}`)).toEqual(['a-o1@a-r1', 'b-o1@b-r1']);
    expect(m.couriers).toHaveLength(2);
  });
});
