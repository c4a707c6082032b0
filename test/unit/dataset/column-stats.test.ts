import { ColumnStats, DISTINCT_CAP } from '../../../activities/dataset/column-stats';
import { seededRandom } from './helpers';

describe('ColumnStats', () => {
  it('computes mean and population stddev stably on values with a large common offset', () => {
    // Around 1e9, the naive E[x²] - E[x]² loses every digit of a variance near 8; Welford does not.
    const random = seededRandom(7);
    const offset = 1e9;
    const values = Array.from({ length: 20_000 }, () => offset + random() * 10);
    const stats = new ColumnStats();
    for (const value of values) stats.addJson(value);
    // Reference computed on the small, exactly representable differences from the offset.
    const shifted = values.map((v) => v - offset);
    const shiftedMean = shifted.reduce((sum, v) => sum + v, 0) / shifted.length;
    const variance = shifted.reduce((sum, v) => sum + (v - shiftedMean) ** 2, 0) / shifted.length;
    const report = stats.report(values.length);
    expect(report.mean! - offset).toBeCloseTo(shiftedMean, 5);
    expect(report.stddev).toBeCloseTo(Math.sqrt(variance), 5);
    expect(report.min).toBe(Math.min(...values));
    expect(report.max).toBe(Math.max(...values));
  });

  it('continues identically after a JSON round trip of its checkpoint', () => {
    const random = seededRandom(3);
    const values = Array.from({ length: 5_000 }, () => (random() - 0.5) * 1e4);
    const straight = new ColumnStats();
    values.forEach((v) => straight.addText(v.toFixed(4)));
    let resumed = new ColumnStats();
    values.forEach((v, i) => {
      if (i === 2_345) resumed = ColumnStats.fromCheckpoint(JSON.parse(JSON.stringify(resumed.toCheckpoint())));
      resumed.addText(v.toFixed(4));
    });
    expect(resumed.report(values.length)).toEqual(straight.report(values.length));
  });

  it('treats -0 as 0 so that a checkpoint cannot change min or max', () => {
    const stats = new ColumnStats();
    stats.addText('-0');
    const report = stats.report(1);
    expect(Object.is(report.min, 0)).toBe(true);
    expect(Object.is(report.max, 0)).toBe(true);
  });

  it('orders top values by count, then by value, and keeps only five', () => {
    const stats = new ColumnStats();
    for (const value of ['d', 'b', 'c', 'b', 'a', 'e', 'f', 'c', 'g']) stats.addText(value);
    expect(stats.report(9).top).toEqual([
      { value: 'b', count: 2 },
      { value: 'c', count: 2 },
      { value: 'a', count: 1 },
      { value: 'd', count: 1 },
      { value: 'e', count: 1 },
    ]);
  });

  it('stops adding new values at the cap but keeps counting the values already seen', () => {
    const stats = new ColumnStats();
    for (let i = 0; i < DISTINCT_CAP; i++) stats.addText(`v${i}`);
    expect(stats.report(DISTINCT_CAP)).toMatchObject({ distinct: DISTINCT_CAP, distinctCapped: false });
    for (let i = 0; i < 5; i++) stats.addText('late');
    stats.addText('v7');
    const report = stats.report(DISTINCT_CAP + 6);
    expect(report).toMatchObject({ count: DISTINCT_CAP + 6, distinct: DISTINCT_CAP, distinctCapped: true });
    expect(report.top[0]).toEqual({ value: 'v7', count: 2 });
    expect(report.top.map((t) => t.value)).not.toContain('late');
  });
});
