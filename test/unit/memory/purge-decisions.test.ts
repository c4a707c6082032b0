import type { HeartbeatDetails } from '../../../common/task-types';
import { makeEnv, makeHarness, NO_WORKFLOW, rejectionOf, runActivity, type Harness, MEMORY_STORES } from './helpers';

describe.each(MEMORY_STORES)('on %s', (store) => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness({}, store);
  });
  afterEach(() => h.cleanup());

  const SEED = [
    ['old-1', ['legacy', 'db'], '2020-01-01T00:00:00Z'],
    ['old-2', ['legacy'], '2021-06-01T00:00:00Z'],
    ['old-3', ['db'], '2021-12-31T23:59:59Z'],
    ['new-1', ['legacy'], '2023-01-01T00:00:00Z'],
    ['new-2', [], '2024-01-01T00:00:00Z'],
  ] as const;

  async function seed(): Promise<void> {
    const lines = SEED.map(([title, tags, createdAt]) => JSON.stringify({ title, decision: title, tags, createdAt }));
    h.writeSource('seed.jsonl', lines.join('\n'));
    await makeEnv().run(h.memory.importDecisions, { source: 'seed.jsonl' });
  }

  const titles = async () => (await h.allDecisions()).map((d) => d.title);
  const tagRows = async () => (await h.column('SELECT CAST(COUNT(*) AS INTEGER) FROM decision_tags'))[0];

  describe('countPurgeMatches and purgeDecisions', () => {
    it('delete exactly the decisions counted, sparing those added after the count', async () => {
      await seed();
      const env = makeEnv();
      const counted = await env.run(h.memory.countPurgeMatches, { tag: 'Legacy' });
      expect(counted).toEqual({ count: 3, maxId: 5 });

      await makeEnv(NO_WORKFLOW).run(h.memory.recordDecision, { title: 'late', decision: 'late', tags: ['legacy'] });
      const purged = await env.run(h.memory.purgeDecisions, { tag: 'legacy', maxId: counted.maxId });
      expect(purged).toEqual({ deleted: 3 });
      expect(await titles()).toEqual(['old-3', 'new-2', 'late']);
      // The deleted decisions' tags went with them.
      expect(await tagRows()).toBe(2);

      // A retry of the same activity execution deletes nothing more and reports the same total.
      expect(await env.run(h.memory.purgeDecisions, { tag: 'legacy', maxId: counted.maxId })).toEqual({ deleted: 3 });
      expect(await titles()).toEqual(['old-3', 'new-2', 'late']);
    });

    it.each([
      [{ before: '2022-01-01' }, 3, ['new-1', 'new-2']],
      [{ before: '2021-12-31T23:59:59Z' }, 2, ['old-3', 'new-1', 'new-2']],
      [{ tag: 'db', before: '2021-01-01' }, 1, ['old-2', 'old-3', 'new-1', 'new-2']],
      [{ tag: 'nothing' }, 0, ['old-1', 'old-2', 'old-3', 'new-1', 'new-2']],
    ])('filters %j: both filters must hold, before is exclusive', async (filter, count, remaining) => {
      await seed();
      const env = makeEnv();
      const counted = await env.run(h.memory.countPurgeMatches, filter);
      expect(counted).toEqual({ count, maxId: 5 });
      expect(await env.run(h.memory.purgeDecisions, { ...filter, maxId: counted.maxId })).toEqual({ deleted: count });
      expect(await titles()).toEqual(remaining);
    });

    it('deletes nothing when any row of the purge fails', async () => {
      await seed();
      await h.failWrites('delete', 'old-2', 'old-2 is protected');
      const err = await rejectionOf(makeEnv().run(h.memory.purgeDecisions, { tag: 'legacy', maxId: 5 }));
      expect(err.message).toContain('old-2 is protected');
      expect(await titles()).toEqual(SEED.map(([title]) => title));
      expect(await tagRows()).toBe(5);
    });

    it('deletes in batches, heartbeating between them, and a retry after a crash reports the whole total', async () => {
      const batched = await makeHarness({ purgeBatchRows: 2 }, store);
      try {
        const lines = Array.from({ length: 7 }, (_, i) =>
          JSON.stringify({ title: `t${i}`, decision: 'd', tags: ['x'] }),
        );
        batched.writeSource('seven.jsonl', lines.join('\n'));
        await makeEnv().run(batched.memory.importDecisions, { source: 'seven.jsonl' });
        const info = { workflowExecution: { workflowId: 'purge-wf', runId: 'r1' }, activityId: '2' };
        // The first attempt dies after its second batch is committed, as a worker crash would end it.
        const crash = new Error('worker crashed');
        const first = await rejectionOf(
          runActivity(batched.memory.purgeDecisions, [{ tag: 'x', maxId: 7 }], {
            info: { ...info, attempt: 1 },
            onHeartbeat: (_details, _env, index) => {
              if (index === 1) throw crash;
            },
          }),
        );
        expect(first).toBe(crash);
        expect(await batched.allDecisions()).toHaveLength(3);
        const retry = await runActivity<[{ tag: string; maxId: number }], { deleted: number }, HeartbeatDetails>(
          batched.memory.purgeDecisions,
          [{ tag: 'x', maxId: 7 }],
          { info: { ...info, attempt: 2 } },
        );
        expect(retry.result).toEqual({ deleted: 7 });
        expect(retry.heartbeats.map((beat) => beat.progress.current)).toEqual([6, 7]);
        expect(await batched.allDecisions()).toEqual([]);
      } finally {
        await batched.cleanup();
      }
    });

    it('reports maxId 0 for an empty store', async () => {
      expect(await makeEnv().run(h.memory.countPurgeMatches, { tag: 'x' })).toEqual({ count: 0, maxId: 0 });
    });

    it.each([
      [{}, 'give a tag and/or a before date'],
      [{ tag: '  ' }, 'tag must not be empty'],
      [{ before: '2024-99-01' }, 'before is not a valid ISO 8601 date ("2024-99-01")'],
    ])('rejects the filter %j with InvalidInput, counting and purging alike', async (filter, message) => {
      await seed();
      for (const run of [
        () => makeEnv().run(h.memory.countPurgeMatches, filter),
        () => makeEnv().run(h.memory.purgeDecisions, { ...filter, maxId: 5 }),
      ]) {
        const err = await rejectionOf(run());
        expect(err).toMatchObject({ type: 'InvalidInput', nonRetryable: true, message });
      }
      expect(await titles()).toHaveLength(5);
    });

    it.each([-1, 1.5, Number.NaN])('rejects maxId %p with InvalidInput', async (maxId) => {
      const err = await rejectionOf(makeEnv().run(h.memory.purgeDecisions, { tag: 'legacy', maxId }));
      expect(err).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    });
  });
});
