import { allowHttpFrom } from '../../helpers/url-sources';
import { eventually } from '../dataset/helpers';
import { HeartbeatDeliveredCancel, startStallingServer, within, type StallingServer } from '../dataset/stalling-server';
import { decisionLines, makeHarness, runActivity, type Harness, type ImportHeartbeat, MEMORY_STORES } from './helpers';

describe.each(MEMORY_STORES)('on %s', (store) => {
  let server: StallingServer;
  let h: Harness;

  beforeEach(async () => {
    server = await startStallingServer();
  });

  afterEach(async () => {
    await h.cleanup();
    await server.close();
  });

  /** Three decisions, then the server sends nothing more and keeps the connection open. */
  const LINES = `${decisionLines(3).join('\n')}\n`;

  describe('importDecisions from a URL source that stalls', () => {
    it('keeps heartbeating its committed checkpoint while waiting, so a cancellation delivered by a heartbeat stops it promptly', async () => {
      h = await makeHarness(
        {
          urlSources: allowHttpFrom(server.origin),
          checkpointIntervalMs: 100,
          sourceStallTimeoutMs: 60_000,
        },
        store,
      );
      const source = server.urlFor('history.jsonl', LINES);
      const cancel = new HeartbeatDeliveredCancel();
      const heartbeats: ImportHeartbeat[] = [];
      const run = runActivity(h.memory.importDecisions, [{ source }], {
        onHeartbeat: (details, env) => {
          heartbeats.push(details);
          cancel.onHeartbeat(env);
        },
      });
      run.catch(() => undefined);

      expect(await eventually(() => heartbeats.length >= 4, 10_000)).toBe(true);
      cancel.request();

      await expect(within(run, 10_000, 'the cancellation')).rejects.toMatchObject({ name: 'CancelledFailure' });
      expect(cancel.sinceRequest).toBeLessThan(5_000);
      expect(h.cancellations).toHaveLength(1);
      // Nothing was committed (the batch was not full), and every heartbeat says so: a retry starts over.
      expect(heartbeats.every((beat) => beat.checkpoint?.offset === 0)).toBe(true);
      expect(await h.allDecisions()).toEqual([]);
      await within(server.closed('history.jsonl'), 10_000, 'closing the connection');
    });

    it('fails a source that sends nothing for the stall timeout, naming it, and retries', async () => {
      h = await makeHarness({ urlSources: allowHttpFrom(server.origin), sourceStallTimeoutMs: 300 }, store);
      const source = server.urlFor('history.jsonl', LINES);
      await expect(
        within(runActivity(h.memory.importDecisions, [{ source }]), 20_000, 'the stall'),
      ).rejects.toMatchObject({
        type: 'SourceStalled',
        nonRetryable: false,
        message: `${source} sent no data for 300 ms (the source stalled); retrying from the last checkpoint`,
      });
      await within(server.closed('history.jsonl'), 10_000, 'closing the connection');
    });
  });
});
