import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeTempDir, runRecorded } from './helpers';

let root: string;
beforeEach(() => {
  root = makeTempDir('dataset-jsonl-');
});
afterEach(() => removeTempDir(root));

function write(name: string, content: string): string {
  fs.writeFileSync(path.join(root, name), content);
  return name;
}

const EVENTS = [
  '{"a":1,"b":"x"}',
  '{"a":2}',
  'not json',
  '[1,2]',
  '{"a":null,"b":"y","c":true}',
  '   ',
  '{"a":3.5,"b":"x","c":{"k":1}}',
  '"just a string"',
  '',
].join('\n');

describe('analyzeDataset on JSONL', () => {
  it('counts missing keys and nulls as nulls, including rows before a column first appears', async () => {
    const { report } = await runRecorded(root, { source: write('events.jsonl', EVENTS) });
    expect(report.rows).toBe(4);
    expect(report.invalidRows).toBe(3);
    expect(Object.keys(report.columns)).toEqual(['a', 'b', 'c']);
    expect(report.columns.a).toEqual({
      count: 3,
      nulls: 1,
      distinct: 3,
      distinctCapped: false,
      min: 1,
      max: 3.5,
      mean: 6.5 / 3,
      stddev: expect.closeTo(Math.sqrt(((1 - 6.5 / 3) ** 2 + (2 - 6.5 / 3) ** 2 + (3.5 - 6.5 / 3) ** 2) / 3), 12),
      top: [
        { value: '1', count: 1 },
        { value: '2', count: 1 },
        { value: '3.5', count: 1 },
      ],
    });
    expect(report.columns.b).toEqual({
      count: 3,
      nulls: 1,
      distinct: 2,
      distinctCapped: false,
      top: [
        { value: 'x', count: 2 },
        { value: 'y', count: 1 },
      ],
    });
    // c first appears in the third valid row: the two rows before it count as nulls.
    expect(report.columns.c).toEqual({
      count: 2,
      nulls: 2,
      distinct: 2,
      distinctCapped: false,
      top: [
        { value: 'true', count: 1 },
        { value: '{"k":1}', count: 1 },
      ],
    });
  });

  it('treats numeric strings as text: only JSON numbers make a column numeric', async () => {
    const { report } = await runRecorded(root, {
      source: write('mixed.jsonl', '{"n":1,"s":"1"}\n{"n":2,"s":"2"}\n'),
    });
    expect(report.columns.n).toMatchObject({ min: 1, max: 2, mean: 1.5, stddev: 0.5 });
    expect(report.columns.s).not.toHaveProperty('mean');
    expect(report.columns.s?.count).toBe(2);
  });

  it('reports requested columns in order, with a never-seen one as all nulls', async () => {
    const { report } = await runRecorded(root, { source: write('events.ndjson', EVENTS), columns: ['c', 'zzz'] });
    expect(Object.keys(report.columns)).toEqual(['c', 'zzz']);
    expect(report.columns.c?.count).toBe(2);
    expect(report.columns.zzz).toEqual({ count: 0, nulls: 4, distinct: 0, distinctCapped: false, top: [] });
  });
});
