import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tenantExportFolder, type DecisionRecord } from '../../../activities/memory';
import { LOCAL_TENANT } from '../../../common/task-types';
import {
  decisionLines,
  makeEnv,
  makeHarness,
  NO_WORKFLOW,
  rejectionOf,
  runActivity,
  type Harness,
  MEMORY_STORES,
} from './helpers';

describe.each(MEMORY_STORES)('on %s', (store) => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness({}, store);
  });
  afterEach(() => h.cleanup());

  /** Decisions whose text exercises CSV quoting: commas, quotes, line breaks (LF and CRLF), `;` and non-ASCII. */
  async function seed(): Promise<DecisionRecord[]> {
    const env = makeEnv(NO_WORKFLOW);
    await env.run(h.memory.recordDecision, {
      title: 'Quotes "and", commas',
      decision: 'Line one\nline two\r\nline "three", done',
      rationale: 'Ünïcödé 東京 😀',
      tags: ['a', 'b c'],
    });
    await env.run(h.memory.recordDecision, { title: 'No rationale', decision: 'Only a\nline break', tags: [] });
    h.writeSource('seed.jsonl', decisionLines(30).join('\n'));
    await makeEnv().run(h.memory.importDecisions, { source: 'seed.jsonl' });
    return await h.allDecisions();
  }

  function parseExport(format: 'jsonl' | 'json', text: string): DecisionRecord[] {
    if (format === 'json') return (JSON.parse(text) as { decisions: DecisionRecord[] }).decisions;
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as DecisionRecord);
  }

  const withoutId = ({ id: _id, ...rest }: DecisionRecord) => rest;

  describe('exportMemory', () => {
    it.each(['jsonl', 'json', 'csv'] as const)(
      'writes every decision as %s under a fresh name, with the sha256 of the bytes written',
      async (format) => {
        const records = await seed();
        expect(fs.existsSync(h.exportsDir)).toBe(false);
        const result = await makeEnv().run(h.memory.exportMemory, { format });

        // Relative to the exports directory, in the local tenant's folder: no server path reaches the client.
        expect(result.path).toMatch(
          new RegExp(`^[0-9a-f]{32}/\\d{4}-\\d{2}-\\d{2}T\\d{6}\\.\\d{3}Z-[0-9a-f]{8}\\.${format}$`),
        );
        expect(path.dirname(result.path)).toBe(tenantExportFolder(LOCAL_TENANT));
        expect(fs.readdirSync(path.join(h.exportsDir, path.dirname(result.path)))).toEqual([
          path.basename(result.path),
        ]);
        expect(result.count).toBe(32);
        const bytes = fs.readFileSync(h.exportFile(result));
        expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
        if (format === 'csv') {
          expect(bytes.toString('utf8').split('\r\n')[0]).toBe('id,key,title,decision,rationale,tags,created_at');
        } else {
          const keys = await h.column('SELECT external_id FROM decisions ORDER BY id');
          expect(parseExport(format, bytes.toString('utf8'))).toEqual(records.map((r, i) => ({ ...r, key: keys[i] })));
        }
      },
    );

    it.each(['csv', 'jsonl'] as const)(
      'writes %s that importDecisions reads back into the same records',
      async (format) => {
        const records = await seed();
        const exported = await makeEnv().run(h.memory.exportMemory, { format });
        const copy = await makeHarness({}, store);
        try {
          fs.copyFileSync(h.exportFile(exported), path.join(copy.root, `restore.${format}`));
          const summary = await makeEnv().run(copy.memory.importDecisions, { source: `restore.${format}` });
          expect(summary).toEqual({ imported: 32, updated: 0, unchanged: 0, invalid: [], invalidCount: 0 });
          expect((await copy.allDecisions()).map(withoutId)).toEqual(records.map(withoutId));
        } finally {
          await copy.cleanup();
        }
      },
    );

    it.each(['csv', 'jsonl'] as const)(
      'writes %s that imports back into the same store without a duplicate, as the same decisions',
      async (format) => {
        const records = await seed();
        const exported = await makeEnv().run(h.memory.exportMemory, { format });
        fs.copyFileSync(h.exportFile(exported), path.join(h.root, `again.${format}`));
        const summary = await makeEnv().run(h.memory.importDecisions, { source: `again.${format}` });
        expect(summary).toEqual({ imported: 0, updated: 0, unchanged: 32, invalid: [], invalidCount: 0 });
        expect(await h.allDecisions()).toEqual(records);
      },
    );

    it('writes an empty but valid file for an empty store', async () => {
      const result = await makeEnv().run(h.memory.exportMemory, { format: 'json' });
      expect(result.count).toBe(0);
      expect(JSON.parse(fs.readFileSync(h.exportFile(result), 'utf8'))).toEqual({ decisions: [] });
    });

    it('leaves no file behind when cancelled part-way', async () => {
      h.writeSource('many.jsonl', decisionLines(3500).join('\n'));
      await makeEnv().run(h.memory.importDecisions, { source: 'many.jsonl' });
      const err = await rejectionOf(
        runActivity(h.memory.exportMemory, [{ format: 'csv' }], {
          info: { activityType: 'exportMemory' },
          onHeartbeat: (_details, env) => env.cancel(),
        }),
      );
      expect(err.name).toBe('CancelledFailure');
      expect(h.cancellations).toEqual([
        expect.objectContaining({
          activityType: 'exportMemory',
          progress: { current: 1000, message: 'Exported 1000 decisions' },
        }),
      ]);
      expect(fs.readdirSync(path.join(h.exportsDir, tenantExportFolder(LOCAL_TENANT)))).toEqual([]);
    });
  });
});
