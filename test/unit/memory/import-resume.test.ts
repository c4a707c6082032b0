import type { Info } from '@temporalio/activity';
import type { ImportSummary } from '../../../activities/memory';
import {
  decisionLines,
  makeEnv,
  makeHarness,
  newWorkflow,
  NO_WORKFLOW,
  rejectionOf,
  runActivity,
  type Harness,
  type ImportHeartbeat,
  MEMORY_STORES,
} from './helpers';

describe.each(MEMORY_STORES)('on %s', (store) => {
  /** 5,500 lines: every 100th is invalid, every 7th valid one has no id (its identity is a content hash). */
  function historyLines(): string[] {
    return decisionLines(5500).map((line, i) => {
      if ((i + 1) % 100 === 0) return '{not json';
      if (i % 7 === 0) {
        const { id: _id, ...rest } = JSON.parse(line) as Record<string, unknown>;
        return JSON.stringify(rest);
      }
      return line;
    });
  }

  /** Valid lines among the first `n`. */
  const validIn = (n: number) => n - Math.floor(n / 100);

  let h: Harness;
  let expected: { summary: ImportSummary; rows: Awaited<ReturnType<Harness['allDecisions']>> };

  beforeAll(async () => {
    // The reference: one uninterrupted import of the same file into another database.
    const reference = await makeHarness({}, store);
    try {
      reference.writeSource('history.jsonl', historyLines().join('\n') + '\n');
      const summary = await makeEnv().run(reference.memory.importDecisions, { source: 'history.jsonl' });
      expected = { summary, rows: await reference.allDecisions() };
    } finally {
      await reference.cleanup();
    }
  });

  beforeEach(async () => {
    h = await makeHarness({}, store);
    h.writeSource('history.jsonl', historyLines().join('\n') + '\n');
  });
  afterEach(() => h.cleanup());

  /** Runs the import, cancelling it (as a crash would stop it) once it heartbeats `cancelAtLine`. */
  async function interruptedRun(info: Partial<Info>, cancelAtLine: number): Promise<ImportHeartbeat[]> {
    const heartbeats: ImportHeartbeat[] = [];
    const err = await rejectionOf(
      runActivity(h.memory.importDecisions, [{ source: 'history.jsonl' }], {
        info,
        onHeartbeat: (details, env) => {
          heartbeats.push(details);
          if (details.progress.current === cancelAtLine) env.cancel();
        },
      }),
    );
    expect(err.name).toBe('CancelledFailure');
    expect(await h.allDecisions()).toHaveLength(validIn(cancelAtLine));
    return heartbeats;
  }

  const at = (heartbeats: ImportHeartbeat[], line: number) => heartbeats.find((hb) => hb.progress.current === line)!;

  describe('resuming an import in a workflow', () => {
    const info = () => ({ workflowExecution: newWorkflow(), activityId: 'import-1' });

    it('continues from the checkpoint and ends with the same table and counters as an uninterrupted run', async () => {
      const run = info();
      const heartbeats = await interruptedRun({ ...run, attempt: 1 }, 3000);
      const retry = await runActivity(h.memory.importDecisions, [{ source: 'history.jsonl' }], {
        info: { ...run, attempt: 2, heartbeatDetails: heartbeats[heartbeats.length - 1] },
      });
      expect(retry.heartbeats[0]?.progress.current).toBe(3000);
      expect(retry.result).toEqual(expected.summary);
      expect(await h.allDecisions()).toEqual(expected.rows);

      // A retry after the import finished (its result lost) returns the same summary without re-reading.
      const late = await runActivity(h.memory.importDecisions, [{ source: 'history.jsonl' }], {
        info: { ...run, attempt: 3 },
      });
      expect(late.result).toEqual(expected.summary);
      expect(late.heartbeats).toEqual([]);
    });

    it('keeps exact counters when the last heartbeats were lost after their batches committed', async () => {
      const run = info();
      const heartbeats = await interruptedRun({ ...run, attempt: 1 }, 3000);
      const retry = await runActivity(h.memory.importDecisions, [{ source: 'history.jsonl' }], {
        info: { ...run, attempt: 2, heartbeatDetails: at(heartbeats, 1000) },
      });
      // The database's progress (line 3000) wins over the stale heartbeat (line 1000).
      expect(retry.heartbeats[0]?.progress.current).toBe(3000);
      expect(retry.result).toEqual(expected.summary);
      expect(await h.allDecisions()).toEqual(expected.rows);
    });

    it('stops an older attempt that is still running once a newer one has taken the import over', async () => {
      const run = info();
      const err = await rejectionOf(
        runActivity(h.memory.importDecisions, [{ source: 'history.jsonl' }], {
          info: { ...run, attempt: 1 },
          onHeartbeat: (details) => {
            // What a retry's start does while this attempt, cut off from the server, still runs.
            if (details.progress.current === 1000) void h.query('UPDATE import_runs SET attempt = 2');
          },
        }),
      );
      expect(err.message).toContain('was taken over by a newer attempt; attempt 1 stops');
      expect(await h.allDecisions()).toHaveLength(validIn(1000));
    });

    it('rolls back a failing batch whole, and a retry completes the import', async () => {
      const lines = historyLines();
      lines[1498] = JSON.stringify({ id: 'poison', title: 'poison', decision: 'passes validation' });
      h.writeSource('history.jsonl', lines.join('\n') + '\n');
      await makeEnv().run(h.memory.getRecentDecisions, { limit: 1 }); // creates the schema
      await h.failWrites('insert', 'poison', 'poisoned row');
      const run = info();
      const err = await rejectionOf(
        makeEnv({ ...run, attempt: 1 }).run(h.memory.importDecisions, { source: 'history.jsonl' }),
      );
      expect(err.message).toBe('a batch of the import was rolled back (lines 1001-2000): poisoned row');
      expect(err).toMatchObject({ type: 'ToolError', nonRetryable: true });
      const titles = (await h.allDecisions()).map((d) => d.title);
      expect(titles).toHaveLength(validIn(1000));
      expect(titles).toContain('Decision number 999');
      expect(titles).not.toContain('Decision number 1001');

      await h.allowAll();
      const retry = await makeEnv({ ...run, attempt: 2 }).run(h.memory.importDecisions, { source: 'history.jsonl' });
      expect(retry).toEqual(expected.summary);
      expect(await h.allDecisions()).toHaveLength(expected.rows.length);
    });
  });

  describe('resuming an import outside a workflow (heartbeat checkpoints only)', () => {
    it('ends with the same table, re-applied lines counting as unchanged', async () => {
      const heartbeats = await interruptedRun(NO_WORKFLOW, 3000);
      const retry = await runActivity(h.memory.importDecisions, [{ source: 'history.jsonl' }], {
        info: { ...NO_WORKFLOW, attempt: 2, heartbeatDetails: at(heartbeats, 2000) },
      });
      expect(retry.heartbeats[0]?.progress.current).toBe(2000);
      expect(await h.allDecisions()).toEqual(expected.rows);
      const reapplied = validIn(3000) - validIn(2000);
      expect(retry.result).toEqual({
        ...expected.summary,
        imported: expected.summary.imported - reapplied,
        unchanged: reapplied,
      });
    });

    it('starts over when the file changed since the checkpoint', async () => {
      const heartbeats = await interruptedRun(NO_WORKFLOW, 2000);
      const lines = [...historyLines(), ...decisionLines(10, 9000)];
      h.writeSource('history.jsonl', lines.join('\n') + '\n');
      const retry = await runActivity(h.memory.importDecisions, [{ source: 'history.jsonl' }], {
        info: { ...NO_WORKFLOW, attempt: 2, heartbeatDetails: at(heartbeats, 2000) },
      });
      expect(retry.heartbeats[0]?.progress.current).toBe(0);
      expect(retry.result).toMatchObject({
        imported: expected.summary.imported + 10 - validIn(2000),
        unchanged: validIn(2000),
        invalidCount: expected.summary.invalidCount,
      });
    });
  });

  describe('cancelling an import', () => {
    it('stops after the current batch and tells the observer how far it got', async () => {
      h.writeSource('long.jsonl', decisionLines(20_000).join('\n'));
      const run = newWorkflow();
      const err = await rejectionOf(
        runActivity(h.memory.importDecisions, [{ source: 'long.jsonl' }], {
          info: { workflowExecution: run, activityType: 'importDecisions' },
          onHeartbeat: (details, env) => {
            if (details.progress.current === 1000) env.cancel();
          },
        }),
      );
      expect(err.name).toBe('CancelledFailure');
      expect(h.cancellations).toEqual([
        {
          activityType: 'importDecisions',
          workflowId: run.workflowId,
          progress: { current: 1000, message: 'Imported 1000 records (line 1000)' },
        },
      ]);
      expect(await h.allDecisions()).toHaveLength(1000);
    });
  });
});
