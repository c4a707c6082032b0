import { decisionLines, makeEnv, makeHarness, rejectionOf, runActivity, type Harness, MEMORY_STORES } from './helpers';

describe.each(MEMORY_STORES)('on %s', (store) => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness({}, store);
  });
  afterEach(() => h.cleanup());

  const json = (value: unknown) => JSON.stringify(value);
  const manyTags = Array.from({ length: 33 }, (_, i) => `t${i}`);

  const JSONL = [
    json({
      id: 'a1',
      title: 'Use Postgres',
      decision: 'We use Postgres.',
      tags: ['DB', ' db ', 'Infra'],
      createdAt: '2024-01-02T10:00:00+02:00',
    }),
    json({ title: 'No id', decision: 'Identity from the content', tags: 'x; Y' }),
    '',
    json({
      id: 'a1',
      title: 'Use Postgres',
      decision: 'We use Postgres.',
      tags: ['DB', ' db ', 'Infra'],
      createdAt: '2024-01-02T10:00:00+02:00',
    }),
    '{"title": "broken',
    '[1, 2]',
    json({ decision: 'no title' }),
    json({ title: 'Bad date', decision: 'd', createdAt: 'yesterday' }),
    json({ title: 'Many tags', decision: 'd', tags: manyTags }),
    json({ title: 'No id', decision: 'Identity from the content', tags: 'x; Y' }),
    json({
      id: 'a1',
      title: 'Use Postgres 16',
      decision: 'We use Postgres 16.',
      tags: ['db', 'infra'],
      createdAt: '2024-01-02T08:00:00Z',
    }),
    json({ id: 7, title: 'Numeric id', decision: 'd', createdAt: '2024-02-30' }),
    json({ id: 7, title: 'Numeric id', decision: 'd', rationale: 5 }),
    json({ id: 7, title: 'Numeric id', decision: 'd', rationale: 'r' }),
    json({ id: '7', title: 'Numeric id', decision: 'd', rationale: 'r' }),
  ].join('\n');

  describe('importDecisions from JSONL', () => {
    it('imports valid lines, counts duplicates and updates, and reports invalid lines by number', async () => {
      h.writeSource('history.jsonl', JSONL);
      const summary = await makeEnv().run(h.memory.importDecisions, { source: 'history.jsonl' });
      expect(summary).toEqual({
        imported: 3,
        updated: 1,
        unchanged: 3,
        invalidCount: 7,
        invalid: [
          { line: 5, error: 'line 5: not valid JSON' },
          { line: 6, error: 'line 6: not a JSON object' },
          { line: 7, error: 'line 7: title is missing' },
          { line: 8, error: 'line 8: createdAt is not a valid ISO 8601 date ("yesterday")' },
          { line: 9, error: 'line 9: too many tags (33, at most 32)' },
          { line: 12, error: 'line 12: createdAt is not a valid ISO 8601 date ("2024-02-30")' },
          { line: 13, error: 'line 13: rationale must be a string' },
        ],
      });
      const rows = await h.allDecisions();
      expect(rows).toHaveLength(3);
      expect(rows[0]).toMatchObject({
        title: 'Use Postgres 16',
        decision: 'We use Postgres 16.',
        tags: ['db', 'infra'],
        createdAt: '2024-01-02T08:00:00.000Z',
      });
      expect(rows[1]).toMatchObject({ title: 'No id', tags: ['x', 'y'], rationale: null });
      expect(Math.abs(Date.parse(rows[1]!.createdAt) - Date.now())).toBeLessThan(60_000);
      expect(rows[2]).toMatchObject({ title: 'Numeric id', rationale: 'r' });
    });

    it('creates no duplicates when the same file is imported again', async () => {
      const lines = [...decisionLines(50), json({ title: 'Undated', decision: 'No date, no id' })];
      h.writeSource('clean.jsonl', lines.join('\n') + '\n');
      const first = await makeEnv().run(h.memory.importDecisions, { source: 'clean.jsonl' });
      expect(first).toMatchObject({ imported: 51, updated: 0, unchanged: 0, invalidCount: 0 });
      const before = await h.allDecisions();

      const again = await makeEnv().run(h.memory.importDecisions, { source: 'clean.jsonl' });
      expect(again).toEqual({ imported: 0, updated: 0, unchanged: 51, invalidCount: 0, invalid: [] });
      expect(await h.allDecisions()).toEqual(before);
      // Re-importing burns no ids: the next decision takes the next one.
      const next = await makeEnv().run(h.memory.recordDecision, { title: 'Next', decision: 'Next', tags: [] });
      expect(next.id).toBe(52);

      h.writeSource('history.jsonl', JSONL);
      await makeEnv().run(h.memory.importDecisions, { source: 'history.jsonl' });
      await makeEnv().run(h.memory.importDecisions, { source: 'history.jsonl' });
      expect(await h.allDecisions()).toHaveLength(52 + 3);
    });

    it('commits in batches of 1000 lines and heartbeats each batch with its byte offset and line', async () => {
      const lines = decisionLines(2500).map((line, i) => ((i + 1) % 500 === 0 ? 'oops' : line));
      const content = lines.join('\n') + '\n';
      h.writeSource('big.jsonl', content);
      const run = await runActivity(h.memory.importDecisions, [{ source: 'big.jsonl' }]);
      const result = run.result;
      // A slow machine may add time-based heartbeats, which repeat the last checkpoint.
      const heartbeats = run.heartbeats.filter((hb, i, all) => i === 0 || json(hb) !== json(all[i - 1]));
      expect(result).toMatchObject({ imported: 2495, invalidCount: 5 });
      expect(result.invalid.map((entry) => entry.line)).toEqual([500, 1000, 1500, 2000, 2500]);

      const offsetAfter = (n: number) => Buffer.byteLength(lines.slice(0, n).join('\n') + '\n');
      expect(heartbeats.map((hb) => hb.progress)).toEqual([
        { current: 0, message: 'Imported 0 records (line 0)' },
        { current: 1000, message: 'Imported 998 records (line 1000)' },
        { current: 2000, message: 'Imported 1996 records (line 2000)' },
        { current: 2500, message: 'Imported 2495 records (line 2500)' },
      ]);
      expect(heartbeats.map((hb) => hb.checkpoint?.offset)).toEqual([
        0,
        offsetAfter(1000),
        offsetAfter(2000),
        offsetAfter(2500),
      ]);
      expect(heartbeats[2]?.checkpoint).toMatchObject({ line: 2001, imported: 1996, invalidCount: 4 });
    });

    it('takes the format from the argument when the extension does not tell', async () => {
      h.writeSource('history.txt', decisionLines(3).join('\n'));
      const err = await rejectionOf(makeEnv().run(h.memory.importDecisions, { source: 'history.txt' }));
      expect(err).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
      const summary = await makeEnv().run(h.memory.importDecisions, { source: 'history.txt', format: 'jsonl' });
      expect(summary.imported).toBe(3);
    });
  });

  const CSV =
    'id,Title,decision,rationale,tags,created_at,extra\r\n' +
    'c1,"Use Postgres, not MySQL","He said ""yes""",,DB;infra,2024-01-05,zzz\r\n' +
    'c2,Multi line,"first\nsecond\r\nthird",why,,2024-01-06T12:00:00Z,\n' +
    ',,missing title,,,,\n' +
    'c3,Too few fields\n' +
    'c4,Bad date,d,,,2024-13-01,\n' +
    '\n' +
    'c1,"Use Postgres, not MySQL","He said ""yes""",,DB;infra,2024-01-05,other\n' +
    'c5,Unterminated,"never closed\n' +
    'c6,swallowed,by the quote,,,,';

  describe('importDecisions from CSV', () => {
    it('reads RFC 4180 records, ignores unknown columns and numbers lines physically', async () => {
      h.writeSource('history.csv', CSV);
      const summary = await makeEnv().run(h.memory.importDecisions, { source: 'history.csv' });
      expect(summary).toEqual({
        imported: 2,
        updated: 0,
        unchanged: 1,
        invalidCount: 4,
        invalid: [
          { line: 6, error: 'line 6: title is missing' },
          { line: 7, error: 'line 7: has 2 fields, the header has 7' },
          { line: 8, error: 'line 8: created_at is not a valid ISO 8601 date ("2024-13-01")' },
          { line: 11, error: 'line 11: unterminated quoted field' },
        ],
      });
      expect(await h.allDecisions()).toEqual([
        {
          id: 1,
          title: 'Use Postgres, not MySQL',
          decision: 'He said "yes"',
          rationale: null,
          tags: ['db', 'infra'],
          createdAt: '2024-01-05T00:00:00.000Z',
        },
        {
          id: 2,
          title: 'Multi line',
          decision: 'first\nsecond\r\nthird',
          rationale: 'why',
          tags: [],
          createdAt: '2024-01-06T12:00:00.000Z',
        },
      ]);
    });

    it('fails for good when the header lacks a required column', async () => {
      h.writeSource('bad.csv', 'id,title,rationale\n1,t,r\n');
      const err = await rejectionOf(makeEnv().run(h.memory.importDecisions, { source: 'bad.csv' }));
      expect(err).toMatchObject({ type: 'SourceUnreadable', nonRetryable: true });
      expect(err.message).toContain('CSV header (line 1) has no "decision" column');
    });

    it('imports nothing from an empty file', async () => {
      h.writeSource('empty.csv', '');
      const summary = await makeEnv().run(h.memory.importDecisions, { source: 'empty.csv' });
      expect(summary).toEqual({ imported: 0, updated: 0, unchanged: 0, invalid: [], invalidCount: 0 });
    });
  });

  describe('import sources', () => {
    it.each([
      ['../outside.jsonl', 'AccessDenied', 'access denied: ../outside.jsonl'],
      ['/etc/passwd.jsonl', 'AccessDenied', 'access denied: /etc/passwd.jsonl'],
      ['missing.jsonl', 'SourceNotFound', 'file not found: '],
      ['https://example.com/d.jsonl', 'AccessDenied', 'access denied: https://example.com/d.jsonl'],
    ])('%s fails with %s like the dataset activity', async (source, type, message) => {
      const err = await rejectionOf(makeEnv().run(h.memory.importDecisions, { source }));
      expect(err).toMatchObject({ type, nonRetryable: true });
      expect(err.message).toContain(message);
    });
  });
});
