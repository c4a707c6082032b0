import fs from 'node:fs';
import path from 'node:path';
import { neutraliseFormula, restoreFormula } from '../../../activities/memory/csv-formulas';
import { parseCsvFields, RecordSplitter } from '../../../activities/common/record-splitter';
import type { DecisionRecord } from '../../../activities/memory';
import { makeEnv, makeHarness, type Harness, MEMORY_STORES } from './helpers';

describe.each(MEMORY_STORES)('on %s', (store) => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness({}, store);
  });
  afterEach(() => h.cleanup());

  /** The characters a spreadsheet reads as the start of a formula. */
  const TRIGGERS = ['=', '+', '-', '@', '\t', '\r'];

  describe('neutraliseFormula and restoreFormula', () => {
    it.each([
      ['=SUM(A1:A9)', "'=SUM(A1:A9)"],
      ['+1', "'+1"],
      ['-1', "'-1"],
      ['@cmd', "'@cmd"],
      ['\t=1', "'\t=1"],
      ['\r=1', "'\r=1"],
      // Already starting with apostrophes before a trigger: one more, so the import's removal gives it back.
      ["'=1", "''=1"],
      ["''-1", "'''-1"],
      // Nothing a spreadsheet would run: unchanged.
      ['plain', 'plain'],
      ["'quoted", "'quoted"],
      ['a=1', 'a=1'],
      ['', ''],
    ])('writes %j as %j and reads it back', (cell, written) => {
      expect(neutraliseFormula(cell)).toBe(written);
      expect(restoreFormula(written)).toBe(cell);
    });
  });

  /** Every cell of a CSV file, parsed the way the import parses it (before restoring formulas). */
  function csvCells(text: string): string[][] {
    const splitter = new RecordSplitter('csv', { offset: 0, line: 1 });
    const records = [...splitter.push(Buffer.from(text, 'utf8')), ...splitter.end()];
    return records.map((record) => parseCsvFields(record.text));
  }

  const withoutId = ({ id: _id, ...rest }: DecisionRecord) => rest;

  describe('the CSV export of formula-like decisions', () => {
    /** A decision per trigger with every text field (and its key) starting with it, plus apostrophe cases. */
    async function seed(): Promise<DecisionRecord[]> {
      const lines = TRIGGERS.map((c, i) =>
        JSON.stringify({
          // Stored text is trimmed, so only the key (kept as given) can start with a tab or CR; for those
          // two, the other fields start with other triggers.
          key: `${c}key-${i}`,
          title: /\s/.test(c) ? `=title ${i}` : `${c}title`,
          decision: /\s/.test(c) ? `+decision ${i}` : `${c}decision`,
          rationale: /\s/.test(c) ? `@why ${i}` : `${c}why`,
          tags: [/\s/.test(c) ? `-tag${i}` : `${c}tag`, `second${c.trim()}`],
          createdAt: new Date(Date.UTC(2024, 0, i + 1)).toISOString(),
        }),
      );
      lines.push(
        JSON.stringify({
          key: 'apostrophes',
          title: "'=already",
          decision: "''+twice",
          rationale: "'plain",
          tags: ["'@x"],
        }),
      );
      h.writeSource('formulas.jsonl', lines.join('\n'));
      const summary = await makeEnv().run(h.memory.importDecisions, { source: 'formulas.jsonl' });
      expect(summary.invalidCount).toBe(0);
      return await h.allDecisions();
    }

    it('writes no cell that a spreadsheet would run as a formula', async () => {
      await seed();
      const exported = await makeEnv().run(h.memory.exportMemory, { format: 'csv' });
      const rows = csvCells(fs.readFileSync(h.exportFile(exported), 'utf8'));
      expect(rows).toHaveLength(1 + TRIGGERS.length + 1);
      for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      // The key column carries the tab and CR cases.
      expect(rows.slice(1, 1 + TRIGGERS.length).map((row) => row[1])).toEqual(TRIGGERS.map((c, i) => `'${c}key-${i}`));
    });

    it('imports back into the same store unchanged, without a duplicate', async () => {
      const records = await seed();
      const exported = await makeEnv().run(h.memory.exportMemory, { format: 'csv' });
      fs.copyFileSync(h.exportFile(exported), path.join(h.root, 'again.csv'));
      const summary = await makeEnv().run(h.memory.importDecisions, { source: 'again.csv' });
      expect(summary).toEqual({ imported: 0, updated: 0, unchanged: records.length, invalid: [], invalidCount: 0 });
      expect(await h.allDecisions()).toEqual(records);
    });

    it('imports into an empty store as the same decisions, with the same identities', async () => {
      const records = await seed();
      const exportedKeys = await h.column('SELECT external_id FROM decisions ORDER BY id');
      const exported = await makeEnv().run(h.memory.exportMemory, { format: 'csv' });
      const copy = await makeHarness({}, store);
      try {
        fs.copyFileSync(h.exportFile(exported), path.join(copy.root, 'restore.csv'));
        const summary = await makeEnv().run(copy.memory.importDecisions, { source: 'restore.csv' });
        expect(summary).toEqual({ imported: records.length, updated: 0, unchanged: 0, invalid: [], invalidCount: 0 });
        expect((await copy.allDecisions()).map(withoutId)).toEqual(records.map(withoutId));
        expect(await copy.column('SELECT external_id FROM decisions ORDER BY id')).toEqual(exportedKeys);
      } finally {
        await copy.cleanup();
      }
    });
  });
});
