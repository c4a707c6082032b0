import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_DATA_LIMITS, type DataLimits } from '../../../activities/common/data-limits';
import { CsvParser } from '../../../activities/dataset/csv-parser';
import { DatasetReportSchema } from '../../../workflows/tools/analyze-dataset';
import { makeTempDir, removeTempDir, runAnalysis, runRecorded } from './helpers';

let root: string;
beforeEach(() => {
  root = makeTempDir('dataset-caps-');
});
afterEach(() => removeTempDir(root));

function write(name: string, content: string | Buffer): string {
  fs.writeFileSync(path.join(root, name), content);
  return name;
}

const limits = (more: Partial<DataLimits>): { limits: DataLimits } => ({ limits: { ...DEFAULT_DATA_LIMITS, ...more } });

describe('analyzeDataset caps', () => {
  it('fails a CSV whose header has more columns than DATASET_MAX_COLUMNS, saying so', async () => {
    const header = Array.from({ length: 11 }, (_, i) => `c${i}`).join(',');
    const source = write('wide.csv', `${header}\n${'1,'.repeat(10)}1\n`);
    await expect(runAnalysis(root, { source }, { deps: limits({ maxColumns: 10 }) })).rejects.toMatchObject({
      type: 'SourceUnreadable',
      nonRetryable: true,
      message: 'the CSV header has 11 columns, more than 10, the most a dataset may have',
    });
    await expect(runRecorded(root, { source }, { deps: limits({ maxColumns: 11 }) })).resolves.toMatchObject({
      report: { rows: 1 },
    });
  });

  it('counts a row with far more fields than the header as invalid without decoding them', async () => {
    const source = write('row.csv', `a,b\n1,2\n${','.repeat(100_000)}\n3,4\n`);
    const { report } = await runRecorded(root, { source }, { deps: limits({ maxColumns: 10 }) });
    expect(report).toMatchObject({ rows: 2, invalidRows: 1 });
  });

  it('fails JSONL rows with more distinct keys than DATASET_MAX_COLUMNS unless columns are chosen', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: i, [`k${i}`]: i }));
    const source = write('keys.jsonl', lines.join('\n'));
    await expect(runAnalysis(root, { source }, { deps: limits({ maxColumns: 10 }) })).rejects.toMatchObject({
      type: 'SourceUnreadable',
      message: expect.stringContaining('the JSONL rows have more than 10 distinct keys'),
    });
    const { report } = await runRecorded(root, { source, columns: ['id'] }, { deps: limits({ maxColumns: 10 }) });
    expect(report.columns.id?.count).toBe(20);
  });

  it('fails a JSONL row nested too deeply to be compared, instead of crashing the attempt', async () => {
    const depth = 200_000;
    const source = write('deep.jsonl', `{"a":1}\n{"a":${'['.repeat(depth)}${']'.repeat(depth)}}\n`);
    await expect(runAnalysis(root, { source })).rejects.toMatchObject({
      type: 'SourceUnreadable',
      nonRetryable: true,
      message: 'row 2 of the JSONL nests its values too deeply to be compared',
    });
  });

  it.each([
    ['CSV', 'long.csv', `a\n${'x'.repeat(5000)}\n`],
    ['JSONL', 'long.jsonl', `{"a":"${'x'.repeat(5000)}"}\n`],
  ])('fails a %s record longer than DATASET_MAX_RECORD_BYTES, saying so', async (format, name, content) => {
    await expect(
      runAnalysis(root, { source: write(name, content) }, { deps: limits({ maxRecordBytes: 4096 }) }),
    ).rejects.toMatchObject({
      type: 'SourceUnreadable',
      message: expect.stringMatching(
        new RegExp(
          `longer than 4096 bytes, the longest a record may be \\(an unterminated quote, or not a ${format} file\\)`,
        ),
      ),
    });
  });

  it('counts distinct values up to DATASET_MAX_DISTINCT_VALUES', async () => {
    const source = write('ids.csv', `id\n${Array.from({ length: 50 }, (_, i) => `u${i}`).join('\n')}\n`);
    const { report } = await runRecorded(root, { source }, { deps: limits({ maxDistinctValues: 7 }) });
    expect(report.columns.id).toMatchObject({ count: 50, distinct: 7, distinctCapped: true });
  });

  it('shortens long top values to keep the report under TOOL_RESULT_MAX_BYTES, and says so', async () => {
    const long = (c: string) => c.repeat(20_000);
    const rows = ['a,b', ...Array.from({ length: 5 }, (_, i) => `${long(String(i))},${long('b')}`)];
    const source = write('long-values.csv', rows.join('\n'));
    const { report } = await runRecorded(root, { source }, { deps: limits({ maxResultBytes: 20_000 }) });
    expect(report.truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThanOrEqual(20_000);
    expect(report.columns.a?.top).toHaveLength(5);
    expect(report.columns.a?.top[0]?.value).toMatch(/^0+…$/);
    expect(report.columns.b?.top[0]).toEqual({ value: `${'b'.repeat(1024)}…`, count: 5 });
    expect(DatasetReportSchema.safeParse(report).success).toBe(true);

    const untouched = await runRecorded(root, { source });
    expect(untouched.report.truncated).toBeUndefined();
    expect(untouched.report.columns.b?.top[0]?.value).toBe(long('b'));
  });

  it('fails clearly when even shortened values leave the report over TOOL_RESULT_MAX_BYTES', async () => {
    const header = Array.from({ length: 10 }, (_, i) => `${i}${'n'.repeat(5_000)}`).join(',');
    const source = write('long-names.csv', `${header}\n${'1,'.repeat(9)}1\n`);
    await expect(runAnalysis(root, { source }, { deps: limits({ maxResultBytes: 20_000 }) })).rejects.toMatchObject({
      type: 'ToolError',
      nonRetryable: true,
      message: expect.stringMatching(
        /^the report would be \d+ bytes, more than 20000, the largest result a tool may return/,
      ),
    });
  });
});

describe('a long record arriving in small chunks', () => {
  it('is buffered in linear time and parsed exactly', () => {
    const value = 'v'.repeat(12 * 1024 * 1024);
    const records: string[][] = [];
    const parser = new CsvParser(
      { onRecord: (fields, count) => records.push(fields.slice(0, count)), onInvalidRecord: () => undefined },
      { startOffset: 0, maxRecordBytes: 16 * 1024 * 1024 },
    );
    const bytes = Buffer.from(`a,b\n${value},"x""y"\n1,2\n`);
    const started = Date.now();
    for (let at = 0; at < bytes.length; at += 1024) parser.push(bytes.subarray(at, at + 1024));
    parser.end();
    // Copying everything buffered on every 1 KiB chunk takes about a minute here; linear buffering, well under a second.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(records).toEqual([
      ['a', 'b'],
      [value, 'x"y'],
      ['1', '2'],
    ]);
    expect(parser.offset).toBe(bytes.length);
  });
});
