import { RecentDecisionsArgsSchema } from '../../../workflows/tools/project-memory';
import { makeEnv, makeHarness, NO_WORKFLOW, rejectionOf, type Harness, MEMORY_STORES } from './helpers';

describe.each(MEMORY_STORES)('on %s', (store) => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness({}, store);
  });
  afterEach(() => h.cleanup());

  describe('recordDecision and getRecentDecisions', () => {
    it('store normalised decisions and return the newest first, up to the limit', async () => {
      const env = makeEnv(NO_WORKFLOW);
      const first = await env.run(h.memory.recordDecision, {
        title: '  Use Postgres ',
        decision: 'We use Postgres 16.',
        rationale: '   ',
        tags: [' DB ', 'db', 'Infra;Ops', ''],
      });
      const second = await env.run(h.memory.recordDecision, {
        title: 'Use Redis',
        decision: 'Cache in Redis.',
        tags: [],
      });
      const third = await env.run(h.memory.recordDecision, {
        title: 'Use Kafka',
        decision: 'Events in Kafka.',
        rationale: 'Replay',
        tags: ['events'],
      });
      expect(second.id).toBeGreaterThan(first.id);
      expect(third.id).toBeGreaterThan(second.id);

      const all = await env.run(h.memory.getRecentDecisions, { limit: 10 });
      expect(all.decisions.map((d) => d.id)).toEqual([third.id, second.id, first.id]);
      expect(all.decisions[2]).toEqual({
        id: first.id,
        title: 'Use Postgres',
        decision: 'We use Postgres 16.',
        rationale: null,
        tags: ['db', 'infra', 'ops'],
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      });
      expect(Math.abs(Date.parse(all.decisions[2]!.createdAt) - Date.now())).toBeLessThan(60_000);

      const two = await env.run(h.memory.getRecentDecisions, { limit: 2 });
      expect(two.decisions.map((d) => d.id)).toEqual([third.id, second.id]);
    });

    it('order by createdAt before id, and filter on an exact tag', async () => {
      const lines = [
        { id: 'a', title: 'Oldest', decision: 'x', tags: ['db'], createdAt: '2020-01-01' },
        { id: 'b', title: 'Newest', decision: 'x', tags: ['db-migration'], createdAt: '2024-01-01' },
        { id: 'c', title: 'Middle', decision: 'x', tags: ['DB', 'ops'], createdAt: '2022-01-01' },
      ];
      h.writeSource('seed.jsonl', lines.map((l) => JSON.stringify(l)).join('\n'));
      await makeEnv().run(h.memory.importDecisions, { source: 'seed.jsonl' });
      const env = makeEnv();

      const all = await env.run(h.memory.getRecentDecisions, { limit: 5 });
      expect(all.decisions.map((d) => d.title)).toEqual(['Newest', 'Middle', 'Oldest']);
      const db = await env.run(h.memory.getRecentDecisions, RecentDecisionsArgsSchema.parse({ limit: 5, tag: ' DB ' }));
      expect(db.decisions.map((d) => d.title)).toEqual(['Middle', 'Oldest']);
      const none = await env.run(h.memory.getRecentDecisions, { limit: 5, tag: 'nothing' });
      expect(none.decisions).toEqual([]);
    });

    it('returns the first id when the same workflow retries the activity', async () => {
      const workflowExecution = { workflowId: 'w1', runId: 'r1' };
      const input = { title: 'Use Postgres', decision: 'We use Postgres.', tags: ['db'] };
      const first = await makeEnv({ workflowExecution, attempt: 1 }).run(h.memory.recordDecision, input);
      const retry = await makeEnv({ workflowExecution, attempt: 2 }).run(h.memory.recordDecision, input);
      expect(retry.id).toBe(first.id);
      expect(await h.allDecisions()).toHaveLength(1);
      expect(await h.column('SELECT external_id FROM decisions')).toEqual(['task:w1']);

      const other = await makeEnv({ workflowExecution: { workflowId: 'w2', runId: 'r9' } }).run(
        h.memory.recordDecision,
        input,
      );
      expect(other.id).not.toBe(first.id);
      expect(await h.allDecisions()).toHaveLength(2);
    });

    it('inserts every call when there is no workflow to key it by, each with an identity of its own', async () => {
      const env = makeEnv(NO_WORKFLOW);
      const input = { title: 'Same', decision: 'Same', tags: [] };
      const a = await env.run(h.memory.recordDecision, input);
      const b = await env.run(h.memory.recordDecision, input);
      expect(b.id).not.toBe(a.id);
      expect(
        await h.column(
          "SELECT CAST(COUNT(DISTINCT external_id) AS INTEGER) FROM decisions WHERE external_id LIKE 'memory:%'",
        ),
      ).toEqual([2]);
    });

    it.each([
      [{ title: '   ', decision: 'd', tags: [] }, 'title is missing'],
      [{ title: 't', decision: 'x'.repeat(10_001), tags: [] }, 'decision is longer than 10000 characters'],
      [
        { title: 't', decision: 'd', tags: Array.from({ length: 33 }, (_, i) => `t${i}`) },
        'too many tags (33, at most 32)',
      ],
      [{ title: 't', decision: 'd', tags: ['x'.repeat(65)] }, 'is longer than 64 characters'],
    ])('rejects invalid fields with a non-retryable InvalidInput (%#)', async (input, message) => {
      const err = await rejectionOf(makeEnv().run(h.memory.recordDecision, input));
      expect(err).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
      expect(err.message).toContain(message);
      expect(await h.allDecisions()).toHaveLength(0);
    });

    it('stops before the result (records and their text lines) passes TOOL_RESULT_MAX_BYTES and says it truncated', async () => {
      const big = (i: number) => ({
        id: i,
        title: `Big ${i}`,
        decision: 'd'.repeat(10_000),
        rationale: 'r'.repeat(10_000),
      });
      h.writeSource('big.jsonl', Array.from({ length: 80 }, (_, i) => JSON.stringify(big(i))).join('\n'));
      await makeEnv().run(h.memory.importDecisions, { source: 'big.jsonl' });
      const result = await makeEnv().run(h.memory.getRecentDecisions, { limit: 80 });
      expect(result.truncated).toBe(true);
      expect(result.decisions.length).toBeGreaterThan(20);
      expect(result.decisions.length).toBeLessThan(80);
      const text = result.decisions
        .map((d) => `#${d.id} ${d.createdAt.slice(0, 10)} ${d.title}: ${d.decision}`)
        .join('\n');
      expect(Buffer.byteLength(JSON.stringify(result)) + Buffer.byteLength(text)).toBeLessThanOrEqual(800_000);
      const small = await makeEnv().run(h.memory.getRecentDecisions, { limit: 3 });
      expect(small).toEqual({ decisions: [expect.any(Object), expect.any(Object), expect.any(Object)] });
    });
  });
});
