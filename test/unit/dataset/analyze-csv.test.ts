import fs from 'node:fs';
import path from 'node:path';
import { DISTINCT_CAP } from '../../../activities/dataset/analyze-dataset';
import { makeTempDir, removeTempDir, runAnalysis, runRecorded } from './helpers';

let root: string;
beforeEach(() => {
  root = makeTempDir('dataset-csv-');
});
afterEach(() => removeTempDir(root));

function write(name: string, content: string): string {
  fs.writeFileSync(path.join(root, name), content);
  return name;
}

const PEOPLE = [
  'name,age,city,score',
  'Alice,30,Paris,1.5',
  'Bob,25,London,2.5',
  'Carol,,Paris,3.5',
  'Dave,35,Paris,',
  'Eve,30,Berlin,4.5',
].join('\n');

describe('analyzeDataset on CSV', () => {
  it('reports exact statistics for a small file', async () => {
    const { report, run, heartbeats } = await runRecorded(root, { source: write('people.csv', PEOPLE) });
    expect(report.rows).toBe(5);
    expect(report.invalidRows).toBe(0);
    expect(Object.keys(report.columns)).toEqual(['name', 'age', 'city', 'score']);
    expect(report.columns.age).toEqual({
      count: 4,
      nulls: 1,
      distinct: 3,
      distinctCapped: false,
      min: 25,
      max: 35,
      mean: 30,
      stddev: expect.closeTo(Math.sqrt(12.5), 12),
      top: [
        { value: '30', count: 2 },
        { value: '25', count: 1 },
        { value: '35', count: 1 },
      ],
    });
    expect(report.columns.score).toMatchObject({ count: 4, nulls: 1, min: 1.5, max: 4.5, mean: 3 });
    expect(report.columns.score?.stddev).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(report.columns.city).toEqual({
      count: 5,
      nulls: 0,
      distinct: 3,
      distinctCapped: false,
      top: [
        { value: 'Paris', count: 3 },
        { value: 'Berlin', count: 1 },
        { value: 'London', count: 1 },
      ],
    });
    expect(report.columns.name?.top.map((t) => t.value)).toEqual(['Alice', 'Bob', 'Carol', 'Dave', 'Eve']);
    expect(run).toEqual({ attempt: 1, resumedFromByte: 0, bytesRead: PEOPLE.length, totalBytes: PEOPLE.length });
    const last = heartbeats[heartbeats.length - 1];
    expect(last?.checkpoint?.offset).toBe(PEOPLE.length);
    expect(last?.progress).toMatchObject({ current: 5, message: expect.stringContaining('Analysed 5 rows') });
  });

  it('handles quoted commas, doubled quotes, line breaks inside quotes and CRLF endings', async () => {
    const csv = 'id,text\r\n1,"hello, world"\r\n2,"say ""hi"""\r\n3,"two\r\nlines"\r\n\r\n4,plain\r\n';
    const { report } = await runRecorded(root, { source: write('quoted.csv', csv) });
    expect(report.rows).toBe(4);
    expect(report.invalidRows).toBe(0);
    expect(report.columns.text?.top.map((t) => t.value).sort()).toEqual(
      ['hello, world', 'plain', 'say "hi"', 'two\r\nlines'].sort(),
    );
    expect(report.columns.id).toMatchObject({ min: 1, max: 4, mean: 2.5 });
  });

  it('counts rows with the wrong number of fields and an unterminated quote at the end as invalid', async () => {
    const csv = 'a,b\n1,2\n3\n4,5,6\n7,8\n9,"never closed\n10,11\n';
    const { report } = await runRecorded(root, { source: write('bad.csv', csv) });
    expect(report.rows).toBe(2);
    expect(report.invalidRows).toBe(3);
    expect(report.columns.a).toMatchObject({ count: 2, min: 1, max: 7 });
  });

  it('reports only the requested columns, in the requested order', async () => {
    const { report } = await runRecorded(root, { source: write('people.csv', PEOPLE), columns: ['score', 'city'] });
    expect(Object.keys(report.columns)).toEqual(['score', 'city']);
    expect(report.columns.score?.mean).toBe(3);
  });

  it('rejects unknown columns with InvalidInput naming them', async () => {
    await expect(
      runAnalysis(root, { source: write('people.csv', PEOPLE), columns: ['age', 'height', 'weight'] }),
    ).rejects.toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
      message: expect.stringMatching(/unknown columns: height, weight/),
    });
  });

  it.each([
    ['integers and decimals', ['1', '-2.5', '+3', '.5', '4.', '1e3', '2.5E-2', ' 7 '], true],
    ['a word among numbers', ['1', '2', 'three'], false],
    ['hexadecimal', ['1', '0x10'], false],
    ['Infinity', ['1', 'Infinity'], false],
    ['a number too large for a double', ['1', '1e999'], false],
    ['a thousands separator', ['1', '"1,000"'], false],
    ['NaN', ['NaN'], false],
  ])('decides whether a column is numeric: %s', async (_title, values, numeric) => {
    const { report } = await runRecorded(root, { source: write('n.csv', ['x', ...values].join('\n')) });
    const column = report.columns.x!;
    expect(column.count).toBe(values.length);
    if (numeric) {
      expect(column).toMatchObject({ min: expect.any(Number), max: expect.any(Number), mean: expect.any(Number) });
    } else {
      expect(column).not.toHaveProperty('min');
      expect(column).not.toHaveProperty('mean');
      expect(column).not.toHaveProperty('stddev');
    }
  });

  it('caps distinct counting at DISTINCT_CAP and keeps counting values seen before the cap', async () => {
    const lines = ['id,group'];
    for (let i = 0; i < DISTINCT_CAP + 50; i++) lines.push(`u${i},g${i % 3}`);
    for (let i = 0; i < 10; i++) lines.push('late,g0');
    lines.push('u1,g1', 'u1,g1');
    const { report } = await runRecorded(root, { source: write('wide.csv', lines.join('\n')) });
    expect(report.columns.id).toMatchObject({ distinct: DISTINCT_CAP, distinctCapped: true, count: DISTINCT_CAP + 62 });
    expect(report.columns.id?.top[0]).toEqual({ value: 'u1', count: 3 });
    expect(report.columns.id?.top.some((t) => t.value === 'late')).toBe(false);
    expect(report.columns.group).toMatchObject({ distinct: 3, distinctCapped: false });
  });

  it('infers the format from the extension, and asks for one when there is none', async () => {
    write('data.txt', PEOPLE);
    await expect(runAnalysis(root, { source: 'data.txt' })).rejects.toMatchObject({
      type: 'InvalidInput',
      message: expect.stringMatching(/pass format "csv" or "jsonl"/),
    });
    const { report } = await runRecorded(root, { source: 'data.txt', format: 'csv' });
    expect(report.rows).toBe(5);
  });

  it('renames empty and repeated header names so that every column is reported', async () => {
    const { report } = await runRecorded(root, { source: write('dup.csv', 'a,a,\n1,2,3\n') });
    expect(Object.keys(report.columns)).toEqual(['a', 'a_2', 'column_3']);
    expect(report.columns.a_2?.mean).toBe(2);
  });

  it('reports no rows for a file with only a header, and zero-valued columns', async () => {
    const { report } = await runRecorded(root, { source: write('empty.csv', 'a,b\n') });
    expect(report).toEqual({
      rows: 0,
      invalidRows: 0,
      columns: {
        a: { count: 0, nulls: 0, distinct: 0, distinctCapped: false, top: [] },
        b: { count: 0, nulls: 0, distinct: 0, distinctCapped: false, top: [] },
      },
    });
  });
});
