import fs from 'node:fs';
import path from 'node:path';
import type { AnalyzeDatasetOptions, DatasetCheckpoint } from '../../../activities/dataset/analyze-dataset';
import { generateCsv, generateJsonl } from './fixtures';
import {
  eventually,
  makeTempDir,
  midRunCheckpoints,
  openDescriptors,
  removeTempDir,
  runAnalysis,
  runRecorded,
  spread,
  type RunOutcome,
} from './helpers';

let root: string;
beforeEach(() => {
  root = makeTempDir('dataset-resume-');
});
afterEach(() => removeTempDir(root));

/** Small reads and a checkpoint after every one, so that a run leaves many checkpoints to resume from. */
const FREQUENT = { checkpointIntervalMs: 0, readChunkBytes: 32 * 1024 };

describe.each([
  ['CSV', 'big.csv', () => generateCsv(50_000), undefined],
  ['JSONL', 'big.jsonl', () => generateJsonl(50_000), undefined],
  ['CSV with a column subset', 'big.csv', () => generateCsv(50_000), ['note', 'amount']],
  ['JSONL with a column subset', 'big.jsonl', () => generateJsonl(50_000), ['late', 'score']],
])('resuming %s from a checkpoint', (_title, file, generate, columns) => {
  it('gives the same report as an uninterrupted run, reading only the rest of the file', async () => {
    fs.writeFileSync(path.join(root, file), generate());
    const size = fs.statSync(path.join(root, file)).size;
    const options: AnalyzeDatasetOptions = { source: file, ...(columns ? { columns } : {}) };
    const straight = await runRecorded(root, options, { deps: FREQUENT });
    expect(straight.report.rows).toBeGreaterThan(40_000);
    expect(straight.report.invalidRows).toBeGreaterThan(0);

    for (const checkpoint of spread(midRunCheckpoints(straight.heartbeats, size))) {
      // Resume with a different read size: the result must not depend on where chunks fall.
      const resumed = await runRecorded(root, options, {
        info: { attempt: 2, heartbeatDetails: { progress: { current: 0 }, checkpoint } },
      });
      expect(resumed.run).toEqual({
        attempt: 2,
        resumedFromByte: checkpoint.offset,
        bytesRead: size - checkpoint.offset,
        totalBytes: size,
      });
      expect(resumed.run.resumedFromByte).toBeGreaterThan(0);
      expect(resumed.report).toEqual(straight.report);
    }
  });
});

describe('checkpoints', () => {
  it('are ignored when the file changed since they were taken', async () => {
    fs.writeFileSync(path.join(root, 'data.csv'), generateCsv(20_000));
    const first = await runRecorded(root, { source: 'data.csv' }, { deps: FREQUENT });
    const [checkpoint] = spread(midRunCheckpoints(first.heartbeats, fs.statSync(path.join(root, 'data.csv')).size));
    fs.writeFileSync(path.join(root, 'data.csv'), generateCsv(20_000, 99));
    const fresh = await runRecorded(root, { source: 'data.csv' });
    const resumed = await runRecorded(
      root,
      { source: 'data.csv' },
      { info: { heartbeatDetails: { progress: { current: 0 }, checkpoint } } },
    );
    expect(resumed.run.resumedFromByte).toBe(0);
    expect(resumed.report).toEqual(fresh.report);
    expect(resumed.report).not.toEqual(first.report);
  });

  it('stop growing past the size limit and keep resending the last one that fitted, which still resumes', async () => {
    fs.writeFileSync(path.join(root, 'data.csv'), generateCsv(20_000));
    const size = fs.statSync(path.join(root, 'data.csv')).size;
    const limited = await runRecorded(
      root,
      { source: 'data.csv' },
      { deps: { checkpointIntervalMs: 0, readChunkBytes: 4096, maxCheckpointBytes: 50_000 } },
    );
    const sizes = limited.heartbeats.map((h) => JSON.stringify(h.checkpoint).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(50_000);
    const last = limited.heartbeats[limited.heartbeats.length - 1]!.checkpoint!;
    expect(last.offset).toBeGreaterThan(0);
    expect(last.offset).toBeLessThan(size);
    const resumed = await runRecorded(
      root,
      { source: 'data.csv' },
      { info: { heartbeatDetails: { progress: { current: 0 }, checkpoint: last } } },
    );
    expect(resumed.run.resumedFromByte).toBe(last.offset);
    expect(resumed.report).toEqual(limited.report);
  });

  it('are plain JSON with the offset of a record boundary', async () => {
    fs.writeFileSync(path.join(root, 'data.csv'), 'a,b\n1,"x\ny"\n2,z\n');
    const run = await runRecorded(
      root,
      { source: 'data.csv' },
      { deps: { checkpointIntervalMs: 0, readChunkBytes: 3 } },
    );
    const offsets = run.heartbeats.map((h) => h.checkpoint?.offset);
    expect(new Set(offsets)).toEqual(new Set([0, 4, 12, 16]));
    const last: DatasetCheckpoint | undefined = run.heartbeats[run.heartbeats.length - 1]?.checkpoint;
    expect(last).toMatchObject({ version: 1, offset: 16, rows: 2, invalidRows: 0, header: ['a', 'b'] });
    // The SDK may serialise details later than the call: what was passed must not change afterwards.
    expect(run.rawHeartbeats?.map((raw) => JSON.parse(JSON.stringify(raw)) as unknown)).toEqual(run.heartbeats);
  });
});

describe('multi-byte UTF-8 split between reads', () => {
  it.each([
    ['CSV', 'u.csv', 'name,city\n"Zoë, the 2nd",東京\n😀,Zürich\n"😀",東京\n'],
    ['JSONL', 'u.jsonl', '{"name":"Zoë","city":"東京"}\n{"name":"😀","city":"Zürich"}\n{"name":"😀","city":"東京"}\n'],
  ])('decodes %s identically with 1-byte to 7-byte reads', async (_title, file, content) => {
    fs.writeFileSync(path.join(root, file), content);
    const whole = await runRecorded(root, { source: file });
    expect(whole.report.columns.city?.top).toEqual([
      { value: '東京', count: 2 },
      { value: 'Zürich', count: 1 },
    ]);
    expect(whole.report.columns.name?.top.map((t) => t.value)).toContain('😀');
    for (let readChunkBytes = 1; readChunkBytes <= 7; readChunkBytes++) {
      const split = await runRecorded(root, { source: file }, { deps: { readChunkBytes } });
      expect(split.report).toEqual(whole.report);
    }
  });
});

describe('cancellation', () => {
  it('stops mid-run, closes the source, tells the observer and rejects with the cancellation', async () => {
    fs.writeFileSync(path.join(root, 'big.csv'), generateCsv(50_000));
    const outcome: RunOutcome = { heartbeats: [], cancellations: [] };
    const run = runAnalysis(
      root,
      { source: 'big.csv' },
      { deps: FREQUENT, onHeartbeat: (_details, env, index) => index === 3 && env.cancel() },
      outcome,
    );
    await expect(run).rejects.toMatchObject({ name: 'CancelledFailure' });
    expect(outcome.cancellations).toHaveLength(1);
    const [report] = outcome.cancellations;
    expect(report).toMatchObject({ activityType: expect.any(String), workflowId: 'test' });
    expect(report!.progress.current).toBeGreaterThan(0);
    expect(report!.progress.current).toBeLessThan(50_000);
    // No heartbeat after the cancellation: the loop stopped at once.
    expect(outcome.heartbeats).toHaveLength(4);
    if (openDescriptors(path.join(root, 'big.csv')) !== undefined) {
      expect(await eventually(() => openDescriptors(path.join(root, 'big.csv')) === 0)).toBe(true);
    }
  });
});
