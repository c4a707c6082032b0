import { titleWords } from '../../../activities/memory/reversals';
import { makeEnv, makeHarness, rejectionOf, type Harness, MEMORY_STORES } from './helpers';

describe.each(MEMORY_STORES)('on %s', (store) => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness({}, store);
  });
  afterEach(() => h.cleanup());

  // 2024-01-01 is a Monday.
  const HISTORY = [
    [
      'a',
      'Use PostgreSQL for the billing service',
      'Billing data lives in PostgreSQL.',
      ['db', 'billing'],
      '2024-01-03T09:00:00Z',
    ],
    ['k', 'Adopt Kubernetes for deployments', 'All services deploy to Kubernetes.', ['infra'], '2024-01-07T23:00:00Z'],
    // 00:30 at +02:00 is still Sunday in UTC, so this falls in the first week.
    ['h1', 'Deploy with Helm charts', 'Charts live in the infra repo.', ['infra'], '2024-01-08T00:30:00+02:00'],
    ['a2', 'PostgreSQL for billing service', 'Confirmed PostgreSQL for billing.', ['db'], '2024-01-08T10:00:00Z'],
    [
      'r1',
      'Revert PostgreSQL for the billing services',
      'We roll back to MySQL.',
      ['db', 'billing'],
      '2024-01-24T10:00:00Z',
    ],
    // A cue, but no earlier decision on the same topic.
    ['d', 'Drop the legacy CSV export', 'The CSV export is removed.', ['export'], '2024-03-05T10:00:00Z'],
    [
      'h2',
      'Deploy with Helm chart templates',
      'Amends "Deploy with Helm charts": templates are shared.',
      ['infra'],
      '2024-03-06T10:00:00Z',
    ],
    // Same topic, but neither a cue nor a mention.
    ['e', 'Use Redis for caching', 'Cache in Redis.', ['cache'], '2024-03-07T10:00:00Z'],
    ['f', 'Use Redis for caching sessions', 'Sessions are cached in Redis too.', ['cache'], '2024-03-08T10:00:00Z'],
  ] as const;

  async function seed(): Promise<Map<string, number>> {
    const lines = HISTORY.map(([id, title, decision, tags, createdAt]) =>
      JSON.stringify({ id, title, decision, tags, createdAt }),
    );
    h.writeSource('history.jsonl', lines.join('\n'));
    await makeEnv().run(h.memory.importDecisions, { source: 'history.jsonl' });
    const stored = await h.allDecisions();
    return new Map(HISTORY.map(([key, title]) => [key, stored.find((d) => d.title === title)!.id]));
  }

  const weeks = (...counts: number[]) =>
    counts.map((count, i) => ({ start: new Date(Date.UTC(2024, 0, 1 + 7 * i)).toISOString(), count }));
  const months = (...counts: number[]) =>
    counts.map((count, i) => ({ start: new Date(Date.UTC(2024, i, 1)).toISOString(), count }));

  describe('analyzeDecisionPatterns', () => {
    it('counts per week from Monday 00:00 UTC, including the empty weeks in between', async () => {
      await seed();
      const patterns = await makeEnv().run(h.memory.analyzeDecisionPatterns, { bucket: 'week' });
      expect(patterns.total).toBe(9);
      expect(patterns.range).toEqual({ since: null, until: null });
      expect(patterns.buckets).toEqual(weeks(3, 1, 0, 1, 0, 0, 0, 0, 0, 4));
      expect(patterns.tagTrends[0]).toEqual({ tag: 'db', counts: weeks(1, 1, 0, 1, 0, 0, 0, 0, 0, 0) });
    });

    it('counts per month with top tags, tag trends and the reversals found', async () => {
      const ids = await seed();
      const patterns = await makeEnv().run(h.memory.analyzeDecisionPatterns, { bucket: 'month' });
      expect(patterns.buckets).toEqual(months(5, 0, 4));
      expect(patterns.topTags).toEqual([
        { tag: 'db', count: 3 },
        { tag: 'infra', count: 3 },
        { tag: 'billing', count: 2 },
        { tag: 'cache', count: 2 },
        { tag: 'export', count: 1 },
      ]);
      expect(patterns.tagTrends).toEqual([
        { tag: 'db', counts: months(3, 0, 0) },
        { tag: 'infra', counts: months(2, 0, 1) },
        { tag: 'billing', counts: months(2, 0, 0) },
        { tag: 'cache', counts: months(0, 0, 2) },
        { tag: 'export', counts: months(0, 0, 1) },
      ]);
      expect(patterns.reversals).toEqual([
        {
          decisionId: ids.get('r1'),
          title: 'Revert PostgreSQL for the billing services',
          // The most recent earlier decision on the topic, not the first one (`a`).
          reversesId: ids.get('a2'),
          reversesTitle: 'PostgreSQL for billing service',
          reason: 'cue "revert"; titles 100% similar',
        },
        {
          decisionId: ids.get('h2'),
          title: 'Deploy with Helm chart templates',
          reversesId: ids.get('h1'),
          reversesTitle: 'Deploy with Helm charts',
          reason: 'mentions "Deploy with Helm charts"; titles 75% similar',
        },
      ]);
      expect(patterns.reversalCount).toBe(2);
    });

    it('only looks at decisions with since <= createdAt < until', async () => {
      const ids = await seed();
      const patterns = await makeEnv().run(h.memory.analyzeDecisionPatterns, {
        bucket: 'month',
        since: '2024-01-08',
        until: '2024-03-06T00:00:00+00:00',
      });
      expect(patterns.range).toEqual({ since: '2024-01-08T00:00:00.000Z', until: '2024-03-06T00:00:00.000Z' });
      expect(patterns.total).toBe(3);
      expect(patterns.buckets).toEqual(months(2, 0, 1));
      expect(patterns.topTags).toEqual([
        { tag: 'db', count: 2 },
        { tag: 'billing', count: 1 },
        { tag: 'export', count: 1 },
      ]);
      expect(patterns.reversals.map((r) => [r.decisionId, r.reversesId])).toEqual([[ids.get('r1'), ids.get('a2')]]);
    });

    it('reports nothing for an empty store', async () => {
      const patterns = await makeEnv().run(h.memory.analyzeDecisionPatterns, { bucket: 'week' });
      expect(patterns).toEqual({
        range: { since: null, until: null },
        bucket: 'week',
        total: 0,
        buckets: [],
        topTags: [],
        tagTrends: [],
        reversals: [],
        reversalCount: 0,
      });
    });

    it.each([
      [{ bucket: 'week' as const, since: 'last tuesday' }, 'since is not a valid ISO 8601 date ("last tuesday")'],
    ])('rejects %j with InvalidInput', async (input, message) => {
      const err = await rejectionOf(makeEnv().run(h.memory.analyzeDecisionPatterns, input));
      expect(err).toMatchObject({ type: 'InvalidInput', nonRetryable: true, message });
    });

    it('skips a newer decision that shares words but not the topic, finding the older match', async () => {
      const lines = [
        { id: 'a', title: 'Postgres billing', decision: 'Billing in Postgres.', createdAt: '2024-01-01' },
        // Shares both topic words with the reversal but only 2 of 5 overall: another topic.
        { id: 'x', title: 'Postgres billing invoices ledger audit', decision: 'Audit trail.', createdAt: '2024-01-02' },
        { id: 'b', title: 'Revert Postgres billing', decision: 'Back to MySQL.', createdAt: '2024-01-03' },
      ];
      h.writeSource('history.jsonl', lines.map((line) => JSON.stringify(line)).join('\n'));
      await makeEnv().run(h.memory.importDecisions, { source: 'history.jsonl' });
      const patterns = await makeEnv().run(h.memory.analyzeDecisionPatterns, { bucket: 'month' });
      expect(patterns.reversals.map((r) => [r.title, r.reversesTitle, r.reason])).toEqual([
        ['Revert Postgres billing', 'Postgres billing', 'cue "revert"; titles 100% similar'],
      ]);
    });

    it('normalises titles to topic words', () => {
      expect(titleWords('Use the Databases, not "Queries"!')).toEqual(['database', 'query']);
      expect(titleWords('Stop using PostgreSQL for storage')).toEqual(titleWords('Use PostgreSQL for storage'));
      expect(titleWords('Process status of class')).toEqual(['process', 'status', 'class']);
    });
  });
});
