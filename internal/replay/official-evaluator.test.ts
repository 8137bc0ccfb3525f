import { describe, expect, it } from 'vitest';
import type { Metrics } from './metrics.ts';
import { compareFigures, parsePerformance } from './official-evaluator.ts';

// solution_performance.txt exactly as compute_performance_summary.py (pandas 1.5.3) wrote it for a replay of 0o50t75s1p100.
const PERFORMANCE = `number of orders delivered: 252 out of 252
total payment: 2689.00
proportion of couriers receiving minimum guaranteed compensation: 0.34


       click-to-door  ready-to-door  ready-to-pickup  click-to-door overage
count         252.00         252.00           252.00                 252.00
mean           27.64          11.04             1.11                   0.48
std             9.25           5.21             4.58                   2.54
min             8.00           5.00             0.00                   0.00
10%            17.00           6.00             0.00                   0.00
50%            27.00          10.00             0.00                   0.00
90%            39.00          15.00             3.00                   0.00
max            67.00          62.00            55.00                  27.00


       orders_per_hour  bundles_per_hour  utilization  guaranteed_earnings  order_earnings  payment
count            61.00             61.00        61.00                61.00           61.00    61.00
mean              1.66              1.66         0.61                37.25           41.31    44.08
std               0.51              0.50         0.18                10.38           15.54    13.72
min               0.00              0.00         0.00                 6.00            0.00     6.25
10%               1.00              1.00         0.40                22.50           20.00    30.00
50%               1.67              1.67         0.62                45.00           40.00    45.00
90%               2.33              2.33         0.82                45.00           60.00    60.00
max               2.67              2.67         1.00                45.00           80.00    80.00


       orders_per_bundle
count             251.00
mean                1.00
std                 0.06
min                 1.00
10%                 1.00
50%                 1.00
90%                 1.00
max                 2.00
`;

const ours: Metrics = {
  orders: 252,
  delivered: 252,
  undeliveredPct: 0,
  clickToDoorMean: 27.6389,
  clickToDoorP90: 39,
  overageMean: 0.4802,
  readyToPickupMean: 1.1111,
  readyToPickupP90: 3,
  utilisationMean: 0.6081,
  utilisationP10: 0.4,
  costPerOrder: 2689 / 252,
  ordersPerBundle: 252 / 251,
};

describe('official evaluator output', () => {
  it('parses the figures by column position (names contain spaces)', () => {
    expect(parsePerformance(PERFORMANCE)).toEqual({
      delivered: 252,
      orders: 252,
      totalPayment: 2689,
      clickToDoorMean: 27.64,
      clickToDoorP90: 39,
      readyToPickupMean: 1.11,
      readyToPickupP90: 3,
      overageMean: 0.48,
      utilisationMean: 0.61,
      utilisationP10: 0.4,
      ordersPerBundle: 1,
    });
  });

  it('finds our metrics equal at the 2 decimals it prints, and names any figure that differs', () => {
    const official = parsePerformance(PERFORMANCE);
    expect(compareFigures(ours, official)).toEqual([]);
    expect(compareFigures({ ...ours, clickToDoorMean: 27.66, delivered: 251 }, official)).toEqual([
      { figure: 'delivered', ours: 251, official: 252 },
      { figure: 'totalPayment', ours: (2689 / 252) * 251, official: 2689 },
      { figure: 'clickToDoorMean', ours: 27.66, official: 27.64 },
    ]);
  });

  it('refuses output without its tables', () => {
    expect(() => parsePerformance('number of orders delivered: 1 out of 1\ntotal payment: 1.00\n')).toThrow(
      /click-to-door/,
    );
  });
});
