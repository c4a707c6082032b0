import fs from 'node:fs';
import path from 'node:path';
import { pruneAllExports, tenantExportFolder } from '../../../activities/memory';
import { makeEnv, makeHarness, NO_WORKFLOW, type Harness, MEMORY_STORES } from './helpers';

describe.each(MEMORY_STORES)('on %s', (store) => {
  const DAY = 86_400_000;

  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness({ exportRetentionMs: 7 * DAY }, store);
  });
  afterEach(() => h.cleanup());

  /** Writes `relative` under the exports directory, last modified `ageDays` ago. */
  function exportFileAged(relative: string, ageDays: number): string {
    const file = path.join(h.exportsDir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'old export\n');
    const time = new Date(Date.now() - ageDays * DAY);
    fs.utimesSync(file, time, time);
    return file;
  }

  const acme = tenantExportFolder('acme');
  const globex = tenantExportFolder('globex');

  describe('export retention', () => {
    it('an export first deletes its own tenant’s exports older than the retention, and nothing else', async () => {
      const old = exportFileAged(`${acme}/2020-01-01T000000.000Z-00000000.jsonl`, 8);
      const partial = exportFileAged(`${acme}/.2020-01-01T000000.000Z-11111111.csv.partial`, 30);
      const recent = exportFileAged(`${acme}/2026-01-01T000000.000Z-22222222.jsonl`, 6);
      const otherTenant = exportFileAged(`${globex}/2020-01-01T000000.000Z-33333333.jsonl`, 8);
      await makeEnv(NO_WORKFLOW).run(
        h.memory.recordDecision,
        { title: 't', decision: 'd', tags: [] },
        { tenant: 'acme' },
      );

      const result = await makeEnv().run(h.memory.exportMemory, { format: 'jsonl' }, { tenant: 'acme' });

      expect(fs.existsSync(old)).toBe(false);
      expect(fs.existsSync(partial)).toBe(false);
      expect(fs.existsSync(recent)).toBe(true);
      expect(fs.existsSync(otherTenant)).toBe(true);
      expect(fs.readdirSync(path.join(h.exportsDir, acme)).sort()).toEqual(
        [path.basename(recent), path.basename(result.path)].sort(),
      );
    });

    it('the worker’s start-up pass deletes old exports of every tenant and from before tenant folders', async () => {
      const files = {
        acmeOld: exportFileAged(`${acme}/a.jsonl`, 8),
        acmeNew: exportFileAged(`${acme}/b.jsonl`, 1),
        globexOld: exportFileAged(`${globex}/c.csv`, 100),
        legacyOld: exportFileAged('2025-01-01T000000.000Z-44444444.json', 8),
        legacyNew: exportFileAged('2026-01-01T000000.000Z-55555555.json', 0),
        // Not an export folder: left alone whatever its age.
        foreign: exportFileAged('notes/old.txt', 100),
      };
      expect(await pruneAllExports(h.exportsDir, 7 * DAY)).toBe(3);
      const kept = Object.entries(files)
        .filter(([, file]) => fs.existsSync(file))
        .map(([name]) => name);
      expect(kept.sort()).toEqual(['acmeNew', 'foreign', 'legacyNew']);
    });

    it('has nothing to do when no export was ever written', async () => {
      expect(fs.existsSync(h.exportsDir)).toBe(false);
      expect(await pruneAllExports(h.exportsDir, 7 * DAY)).toBe(0);
    });
  });
});
