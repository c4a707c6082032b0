import { parseCsvFields, RecordSplitter, type RawRecord } from '../../../activities/common/record-splitter';

const CSV =
  '\uFEFFid,title,decision\r\n' +
  '1,"Quoted, with comma","He said ""hi""\r\nand left"\r\n' +
  '\n' +
  '2,東京 😀,"multi\nline\nfield"\n' +
  '3,"ab"cd,"x""y"\n' +
  '4,last,no newline';

/** Splits `content` fed in chunks of `size` bytes. */
function split(content: Buffer, format: 'csv' | 'jsonl', size: number, start = { offset: 0, line: 1 }): RawRecord[] {
  const splitter = new RecordSplitter(format, start);
  const records: RawRecord[] = [];
  for (let at = start.offset; at < content.length; at += size) {
    records.push(...splitter.push(content.subarray(at, Math.min(at + size, content.length))));
  }
  return [...records, ...splitter.end()];
}

describe('RecordSplitter', () => {
  const bytes = Buffer.from(CSV, 'utf8');
  const whole = split(bytes, 'csv', bytes.length);

  it('splits CSV into RFC 4180 records with physical line numbers and exact end offsets', () => {
    expect(whole.map((r) => [r.line, r.nextLine, r.text])).toEqual([
      [1, 2, 'id,title,decision'],
      [2, 4, '1,"Quoted, with comma","He said ""hi""\r\nand left"'],
      [5, 8, '2,東京 😀,"multi\nline\nfield"'],
      [8, 9, '3,"ab"cd,"x""y"'],
      [9, 10, '4,last,no newline'],
    ]);
    // Each record ends where the next one's bytes start (after the blank line, for record 2).
    expect(bytes.subarray(whole[1]!.end).toString('utf8').startsWith('\n2,')).toBe(true);
    expect(whole[4]!.end).toBe(bytes.length);
    expect(whole.map((r) => parseCsvFields(r.text))).toEqual([
      ['id', 'title', 'decision'],
      ['1', 'Quoted, with comma', 'He said "hi"\r\nand left'],
      ['2', '東京 😀', 'multi\nline\nfield'],
      ['3', 'abcd', 'x"y'],
      ['4', 'last', 'no newline'],
    ]);
  });

  it.each([1, 2, 3, 5, 7, 13])('gives the same records when fed %i bytes at a time', (size) => {
    expect(split(bytes, 'csv', size)).toEqual(whole);
  });

  it('resumes at a record boundary with the right line numbers', () => {
    const from = whole[2]!.end;
    expect(split(bytes, 'csv', 4, { offset: from, line: whole[2]!.nextLine })).toEqual(whole.slice(3));
  });

  it('reports a quote left open at the end as unterminated', () => {
    const records = split(Buffer.from('a,b\n1,"open\n2,x\n'), 'csv', 3);
    expect(records.map((r) => [r.line, r.unterminated])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('splits JSONL on line breaks only, counting blank lines', () => {
    const jsonl = Buffer.from('{"a":"x,\\"y"}\r\n\n   \n{"b":"東京"}\n{"c":1}');
    for (const size of [1, 4, jsonl.length]) {
      expect(split(jsonl, 'jsonl', size).map((r) => [r.line, r.text])).toEqual([
        [1, '{"a":"x,\\"y"}'],
        [4, '{"b":"東京"}'],
        [5, '{"c":1}'],
      ]);
    }
  });

  it('refuses a record longer than the cap', () => {
    const splitter = new RecordSplitter('csv', { offset: 0, line: 1 }, 16);
    expect(() => splitter.push(Buffer.from('a,"never closed and far too long'))).toThrow(
      expect.objectContaining({ type: 'SourceUnreadable' }),
    );
  });
});
