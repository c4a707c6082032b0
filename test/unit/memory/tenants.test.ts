import fs from 'node:fs';
import path from 'node:path';
import { tenantExportFolder, type MemoryScope } from '../../../activities/memory';
import { LOCAL_TENANT } from '../../../common/task-types';
import { decisionLines, makeEnv, makeHarness, NO_WORKFLOW, rejectionOf, type Harness, MEMORY_STORES } from './helpers';

describe.each(MEMORY_STORES)('on %s', (store) => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness({}, store);
  });
  afterEach(() => h.cleanup());

  const ACME: MemoryScope = { tenant: 'acme' };
  const GLOBEX: MemoryScope = { tenant: 'globex' };

  /** Records the same three decisions (titles prefixed with the tenant) in each tenant, all tagged `shared`. */
  async function seedBoth(): Promise<void> {
    for (const scope of [ACME, GLOBEX]) {
      for (const [i, tag] of ['db', 'infra', 'db'].entries()) {
        await makeEnv(NO_WORKFLOW).run(
          h.memory.recordDecision,
          { title: `${scope.tenant} decision ${i}`, decision: `Stop using the old ${tag}`, tags: ['shared', tag] },
          scope,
        );
      }
    }
  }

  const titlesOf = async (scope?: MemoryScope, tag?: string): Promise<string[]> =>
    (
      await makeEnv().run(h.memory.getRecentDecisions, { limit: 100, ...(tag !== undefined && { tag }) }, scope)
    ).decisions
      .map((d) => d.title)
      .sort();

  describe('the project memory partitioned by tenant', () => {
    it('lists only the decisions of the caller’s tenant, with and without a tag', async () => {
      await seedBoth();
      expect(await titlesOf(ACME)).toEqual(['acme decision 0', 'acme decision 1', 'acme decision 2']);
      expect(await titlesOf(GLOBEX, 'shared')).toEqual(['globex decision 0', 'globex decision 1', 'globex decision 2']);
      expect(await titlesOf(GLOBEX, 'db')).toEqual(['globex decision 0', 'globex decision 2']);
      // The local tenant (no scope: an activity scheduled before tenants existed) has none of them.
      expect(await titlesOf(undefined)).toEqual([]);
      expect(await titlesOf({ tenant: LOCAL_TENANT })).toEqual([]);
    });

    it('keeps activities scheduled without a scope in the local tenant', async () => {
      await makeEnv(NO_WORKFLOW).run(h.memory.recordDecision, {
        title: 'Old',
        decision: 'From before tenants',
        tags: [],
      });
      expect(await titlesOf({ tenant: LOCAL_TENANT })).toEqual(['Old']);
      expect(await titlesOf(ACME)).toEqual([]);
    });

    it('analyses only the caller’s tenant', async () => {
      await seedBoth();
      await makeEnv(NO_WORKFLOW).run(
        h.memory.recordDecision,
        { title: 'x', decision: 'y', tags: ['globex-only'] },
        GLOBEX,
      );
      const acme = await makeEnv().run(h.memory.analyzeDecisionPatterns, { bucket: 'month' }, ACME);
      expect(acme.total).toBe(3);
      expect(acme.topTags).toEqual([
        { tag: 'shared', count: 3 },
        { tag: 'db', count: 2 },
        { tag: 'infra', count: 1 },
      ]);
      expect(acme.tagTrends.map((t) => t.counts.reduce((sum, b) => sum + b.count, 0))).toEqual([3, 2, 1]);
      const globex = await makeEnv().run(h.memory.analyzeDecisionPatterns, { bucket: 'month' }, GLOBEX);
      expect(globex.total).toBe(4);
      expect(globex.topTags.map((t) => t.tag)).toContain('globex-only');
    });

    it.each(['jsonl', 'csv'] as const)(
      'exports only the caller’s tenant as %s, into the tenant’s own folder',
      async (format) => {
        await seedBoth();
        const acme = await makeEnv().run(h.memory.exportMemory, { format }, ACME);
        const globex = await makeEnv().run(h.memory.exportMemory, { format }, GLOBEX);
        expect(acme.count).toBe(3);
        expect(globex.count).toBe(3);
        expect(path.dirname(acme.path)).toBe(tenantExportFolder('acme'));
        expect(path.dirname(globex.path)).toBe(tenantExportFolder('globex'));
        expect(tenantExportFolder('acme')).not.toBe(tenantExportFolder('globex'));
        const acmeText = fs.readFileSync(h.exportFile(acme), 'utf8');
        expect(acmeText).toContain('acme decision 0');
        expect(acmeText).not.toContain('globex');
        expect(fs.readdirSync(h.exportsDir).sort()).toEqual(
          [tenantExportFolder('acme'), tenantExportFolder('globex')].sort(),
        );
      },
    );

    it('counts and purges only the caller’s tenant', async () => {
      await seedBoth();
      const env = makeEnv();
      const counted = await env.run(h.memory.countPurgeMatches, { tag: 'shared' }, ACME);
      expect(counted.count).toBe(3);
      expect(await env.run(h.memory.purgeDecisions, { tag: 'shared', maxId: counted.maxId }, ACME)).toEqual({
        deleted: 3,
      });
      expect(await titlesOf(ACME)).toEqual([]);
      expect(await titlesOf(GLOBEX)).toEqual(['globex decision 0', 'globex decision 1', 'globex decision 2']);
      // The deleted decisions' tags went with them; the other tenant's stayed.
      const tagRows = await h.query('SELECT tenant, CAST(COUNT(*) AS INTEGER) AS n FROM decision_tags GROUP BY tenant');
      expect(tagRows).toEqual([{ tenant: 'globex', n: 6 }]);
    });

    it('imports the same file into two tenants as separate decisions, each idempotent', async () => {
      h.writeSource('history.jsonl', decisionLines(25).join('\n'));
      for (const scope of [ACME, GLOBEX]) {
        const summary = await makeEnv().run(h.memory.importDecisions, { source: 'history.jsonl' }, scope);
        expect(summary).toEqual({ imported: 25, updated: 0, unchanged: 0, invalid: [], invalidCount: 0 });
      }
      expect(await h.allDecisions()).toHaveLength(50);
      // Same identities, one row per tenant.
      const identities = await h.query(
        'SELECT CAST(COUNT(DISTINCT external_id) AS INTEGER) AS ids, CAST(COUNT(DISTINCT tenant) AS INTEGER) AS tenants FROM decisions',
      );
      expect(identities).toEqual([{ ids: 25, tenants: 2 }]);
      const again = await makeEnv().run(h.memory.importDecisions, { source: 'history.jsonl' }, GLOBEX);
      expect(again).toEqual({ imported: 0, updated: 0, unchanged: 25, invalid: [], invalidCount: 0 });
      expect(await h.allDecisions()).toHaveLength(50);

      // An import that changes one tenant's copy leaves the other's alone.
      h.writeSource('changed.jsonl', JSON.stringify({ id: 'd1', title: 'Changed', decision: 'Changed' }));
      expect((await makeEnv().run(h.memory.importDecisions, { source: 'changed.jsonl' }, ACME)).updated).toBe(1);
      expect((await titlesOf(ACME)).includes('Changed')).toBe(true);
      expect((await titlesOf(GLOBEX)).includes('Changed')).toBe(false);
    });

    it.each([
      ['an empty tenant', { tenant: '' }],
      ['a tenant that is not a string', { tenant: 7 }],
      ['a tenant of 513 characters', { tenant: 'x'.repeat(513) }],
      ['no tenant', {}],
    ])('refuses a scope with %s with a non-retryable InvalidInput, writing nothing', async (_label, scope) => {
      const err = await rejectionOf(
        makeEnv(NO_WORKFLOW).run(
          h.memory.recordDecision,
          { title: 't', decision: 'd', tags: [] },
          scope as MemoryScope,
        ),
      );
      expect(err).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
      expect(err.message).toMatch(/tenant/);
      expect(await h.allDecisions()).toEqual([]);
    });
  });
});
