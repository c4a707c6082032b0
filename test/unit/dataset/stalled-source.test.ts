import { allowHttpFrom } from '../../helpers/url-sources';
import type { AnalyzeDatasetDeps } from '../../../activities/dataset/analyze-dataset';
import { eventually, makeTempDir, removeTempDir, runAnalysis, type RunOutcome } from './helpers';
import { HeartbeatDeliveredCancel, startStallingServer, within, type StallingServer } from './stalling-server';

/** Two rows, then the server sends nothing more and keeps the connection open. */
const ROWS = 'a,b\n1,2\n3,4\n';

let server: StallingServer;
let root: string;

beforeEach(async () => {
  server = await startStallingServer();
  root = makeTempDir('dataset-stall-');
});

afterEach(async () => {
  await server.close();
  removeTempDir(root);
});

/** Heartbeats every 100 ms; the stall timeout is far away unless a test sets it. */
const deps = (more: Partial<AnalyzeDatasetDeps> = {}): Partial<AnalyzeDatasetDeps> => ({
  urlSources: allowHttpFrom(server.origin),
  checkpointIntervalMs: 100,
  sourceStallTimeoutMs: 60_000,
  ...more,
});

describe('analyzeDataset on a URL source that stalls', () => {
  it.each([
    ['after a few rows', 'rows.csv', ROWS, 2],
    ['before its response headers', 'silent.csv', undefined, 0],
  ])(
    'keeps heartbeating while the source is silent %s, so a cancellation delivered by a heartbeat stops it promptly',
    async (_when, name, body, rows) => {
      const source = server.urlFor(name, body);
      const cancel = new HeartbeatDeliveredCancel();
      const outcome: RunOutcome = { heartbeats: [], cancellations: [] };
      const run = runAnalysis(
        root,
        { source },
        { deps: deps(), onHeartbeat: (_d, env) => cancel.onHeartbeat(env) },
        outcome,
      );
      run.catch(() => undefined);

      // Several heartbeats with every row received: the activity is waiting for data and still heartbeating.
      const waitingBeats = () => outcome.heartbeats.filter((beat) => beat.progress.current === rows).length;
      expect(await eventually(() => waitingBeats() >= 3, 10_000)).toBe(true);
      cancel.request();

      await expect(within(run, 10_000, 'the cancellation')).rejects.toMatchObject({ name: 'CancelledFailure' });
      expect(cancel.sinceRequest).toBeLessThan(5_000);
      expect(outcome.cancellations).toHaveLength(1);
      expect(outcome.cancellations[0]?.progress.current).toBe(rows);
      // The download was aborted, not left hanging.
      await within(server.closed(name), 10_000, 'closing the connection');
    },
  );

  it('heartbeats the checkpoint at the last byte received while it waits, so a retry resumes from there', async () => {
    const source = server.urlFor('rows.csv', ROWS);
    const outcome: RunOutcome = { heartbeats: [], cancellations: [] };
    const run = runAnalysis(root, { source }, { deps: deps({ sourceStallTimeoutMs: 1_000 }) }, outcome);
    await expect(within(run, 20_000, 'the stall failure')).rejects.toMatchObject({ type: 'SourceStalled' });
    const last = outcome.heartbeats[outcome.heartbeats.length - 1];
    expect(last?.checkpoint).toMatchObject({ offset: Buffer.byteLength(ROWS), rows: 2, header: ['a', 'b'] });
    expect(last?.progress.current).toBe(2);
  });

  it.each([
    ['after a few rows', 'rows.csv', ROWS],
    ['before its response headers', 'silent.csv', undefined],
  ])('fails a source silent %s once the stall timeout passes, naming it, and retries', async (_when, name, body) => {
    const source = server.urlFor(name, body);
    const run = runAnalysis(root, { source }, { deps: deps({ sourceStallTimeoutMs: 300 }) });
    await expect(within(run, 20_000, 'the stall failure')).rejects.toMatchObject({
      type: 'SourceStalled',
      nonRetryable: false,
      message: `${source} sent no data for 300 ms (the source stalled); retrying from the last checkpoint`,
    });
    await within(server.closed(name), 10_000, 'closing the connection');
  });

  it('fails for good when the source stalls again on the third attempt', async () => {
    const source = server.urlFor('rows.csv', ROWS);
    const run = runAnalysis(root, { source }, { deps: deps({ sourceStallTimeoutMs: 300 }), info: { attempt: 3 } });
    await expect(within(run, 20_000, 'the stall failure')).rejects.toMatchObject({
      type: 'SourceStalled',
      nonRetryable: true,
      message: `${source} sent no data for 300 ms (the source stalled); gave up after 3 attempts`,
    });
  });
});
