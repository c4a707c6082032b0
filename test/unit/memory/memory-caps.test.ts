import { DEFAULT_DATA_LIMITS, type DataLimits } from '../../../activities/common/data-limits';
import { makeEnv, makeHarness, rejectionOf, type Harness, MEMORY_STORES } from './helpers';

describe.each(MEMORY_STORES)('on %s', (store) => {
  let h: Harness;
  afterEach(() => h.cleanup());

  const withLimits = (more: Partial<DataLimits>): Promise<Harness> =>
    makeHarness({ limits: { ...DEFAULT_DATA_LIMITS, ...more } }, store);

  describe('project memory caps', () => {
    it('refuses to record a text longer than MEMORY_VALUE_MAX_CHARS, naming the field', async () => {
      h = await withLimits({ maxStoredTextChars: 100 });
      const err = await rejectionOf(
        makeEnv().run(h.memory.recordDecision, { title: 'Short', decision: 'd'.repeat(101), tags: [] }),
      );
      expect(err).toMatchObject({
        type: 'InvalidInput',
        nonRetryable: true,
        message: 'decision is longer than 100 characters',
      });
      await makeEnv().run(h.memory.recordDecision, { title: 'Short', decision: 'd'.repeat(100), tags: [] });
      expect(await h.allDecisions()).toHaveLength(1);
    });

    it('imports lines with a text longer than MEMORY_VALUE_MAX_CHARS as invalid, CSV and JSONL alike', async () => {
      h = await withLimits({ maxStoredTextChars: 50 });
      const jsonl = h.writeSource(
        'long.jsonl',
        [
          JSON.stringify({ id: 'a', title: 'Fits', decision: 'x'.repeat(50) }),
          JSON.stringify({ id: 'b', title: 'Too long', decision: 'x'.repeat(51) }),
          JSON.stringify({ id: 'c', title: 'Long rationale', decision: 'ok', rationale: 'r'.repeat(51) }),
        ].join('\n'),
      );
      const fromJsonl = await makeEnv().run(h.memory.importDecisions, { source: jsonl });
      expect(fromJsonl).toMatchObject({
        imported: 1,
        invalid: [
          { line: 2, error: 'line 2: decision is longer than 50 characters' },
          { line: 3, error: 'line 3: rationale is longer than 50 characters' },
        ],
      });
      const csv = h.writeSource('long.csv', `id,title,decision\nd,Fits,ok\ne,${'t'.repeat(51)},ok\n`);
      const fromCsv = await makeEnv().run(h.memory.importDecisions, { source: csv });
      expect(fromCsv).toMatchObject({
        imported: 1,
        invalid: [{ line: 3, error: 'line 3: title is longer than 50 characters' }],
      });
    });

    it('fails an import whose CSV header has more columns than DATASET_MAX_COLUMNS, saying so', async () => {
      h = await withLimits({ maxColumns: 20 });
      const header = ['title', 'decision', ...Array.from({ length: 19 }, (_, i) => `extra${i}`)].join(',');
      const source = h.writeSource('wide.csv', `${header}\nT,D${','.repeat(19)}\n`);
      const err = await rejectionOf(makeEnv().run(h.memory.importDecisions, { source }));
      expect(err).toMatchObject({
        type: 'SourceUnreadable',
        nonRetryable: true,
        message: 'CSV header (line 1) has 21 columns, more than 20, the most a source may have',
      });
      expect(await h.allDecisions()).toEqual([]);
    });

    it('keeps recent decisions under TOOL_RESULT_MAX_BYTES', async () => {
      h = await withLimits({ maxResultBytes: 10_000 });
      for (let i = 0; i < 10; i++) {
        await makeEnv().run(h.memory.recordDecision, { title: `T${i}`, decision: 'd'.repeat(2_000), tags: [] });
      }
      const result = await makeEnv().run(h.memory.getRecentDecisions, { limit: 10 });
      expect(result.truncated).toBe(true);
      expect(result.decisions.length).toBeGreaterThan(0);
      expect(result.decisions.length).toBeLessThan(5);
    });
  });
});
