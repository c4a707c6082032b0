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

  describe('addBytes', () => {
    /** Adds each value as bytes in the middle of a larger buffer, as the CSV parser hands them over. */
    function addAllBytes(stats: ColumnStats, values: string[]): void {
      for (const value of values) {
        const buf = Buffer.from(`x,${value},y`);
        stats.addBytes(buf, 2, buf.length - 2);
      }
    }

    function bothWays(values: string[], maxDistinct?: number): [ColumnStats, ColumnStats] {
      const text = new ColumnStats(maxDistinct);
      values.forEach((value) => text.addText(value));
      const bytes = new ColumnStats(maxDistinct);
      addAllBytes(bytes, values);
      return [text, bytes];
    }

    it.each([
      ['integers', ['1', '-2', '+3', '0', '-0', '42', '1', '1']],
      ['decimals', ['.5', '4.', '2.50', '-0.001', '123456.789012345', '0.1', '0.1']],
      ['exponents', ['1e3', '2.5E-2', '1e22', '1e23', '123456789012345e-22', '7e+1', '0e999999']],
      ['more than 15 digits', ['12345678901234567890', '9007199254740993', '0.1234567890123456789']],
      ['surrounding white space', [' 7 ', '\t3\r', '8\u000b']],
      ['a word among numbers', ['1', '2', 'three', '4']],
      ['non-numbers', ['0x10', 'Infinity', 'NaN', '1e999', '1e-400', '1e', '.', '+', '1.2.3', '--1', '1 2']],
      ['non-ASCII and long values', ['Zoë', '東京', '\u00a01', 'v'.repeat(200), 'v'.repeat(200), 'Zoë']],
    ])('gives the same statistics as addText: %s', (_title, values) => {
      const [text, bytes] = bothWays([...values, ...values.slice(0, 3)]);
      expect(bytes.report(values.length + 3)).toEqual(text.report(values.length + 3));
      expect(bytes.toCheckpoint()).toEqual(text.toCheckpoint());
    });

    it('parses every short decimal exactly as Number does', () => {
      const random = seededRandom(11);
      const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
      for (let i = 0; i < 20_000; i++) {
        const text = `${random() < 0.3 ? '-' : ''}${digits(Math.floor(random() * 9))}.${digits(1 + Math.floor(random() * 9))}e${Math.floor(random() * 40) - 20}`;
        const [, bytes] = bothWays([text]);
        expect(bytes.report(1).min).toBe(Number(text) + 0);
      }
    });

    it('counts a value restored from a checkpoint, or added as text, as the same value', () => {
      const first = new ColumnStats(3);
      first.addText('a');
      first.addText('"b"');
      const resumed = ColumnStats.fromCheckpoint(JSON.parse(JSON.stringify(first.toCheckpoint())), 3);
      addAllBytes(resumed, ['a', '"b"']);
      resumed.addText('c');
      addAllBytes(resumed, ['c', 'd', 'd']);
      expect(resumed.report(8)).toMatchObject({ distinct: 3, distinctCapped: true, count: 8 });
      expect(resumed.report(8).top).toEqual([
        { value: '"b"', count: 2 },
        { value: 'a', count: 2 },
        { value: 'c', count: 2 },
      ]);
    });

    it('stops adding new values at the cap as addText does', () => {
      const values = Array.from({ length: 40 }, (_, i) => `v${i % 25}`);
      const [text, bytes] = bothWays(values, 10);
      expect(bytes.report(40)).toEqual(text.report(40));
      expect(bytes.toCheckpoint()).toEqual(text.toCheckpoint());
    });
  });

  it('counts JSON numbers by their text, also when seen again, and with a string of the same text', () => {
    const stats = new ColumnStats(3);
    for (const value of [1, -0, '1', 0, 1, 2.5, 7, 7, '7']) stats.addJson(value);
    expect(stats.report(9)).toMatchObject({ count: 9, distinct: 3, distinctCapped: true });
    expect(stats.report(9).top).toEqual([
      { value: '1', count: 3 },
      { value: '0', count: 2 },
      { value: '2.5', count: 1 },
    ]);
  });
});
