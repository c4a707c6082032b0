import { CsvParser } from '../../../activities/dataset/csv-parser';
import { JsonlParser } from '../../../activities/dataset/jsonl-parser';

type Parsed = (string[] | 'invalid')[];

/** Parses `data` fed in the given pieces, starting at `startOffset`, and returns the records and final offset. */
function parseCsv(data: Buffer, cuts: number[] = [], startOffset = 0): { records: Parsed; offset: number } {
  const records: Parsed = [];
  const parser = new CsvParser(
    {
      onRecord: (fields, count) => records.push(fields.slice(0, count)),
      onInvalidRecord: () => records.push('invalid'),
    },
    { startOffset },
  );
  let from = 0;
  for (const cut of [...cuts, data.length]) {
    parser.push(data.subarray(from, cut));
    from = cut;
  }
  parser.end();
  return { records, offset: parser.offset };
}

const TRICKY =
  '\uFEFFname,quote,note\r\n' +
  'plain,"a ""quoted"" word","comma, inside"\r\n' +
  '\r\n' +
  'Zoë,"line one\r\nline two",😀\n' +
  '"",,"東京"\n' +
  '\n' +
  'trailing,"x"y,z\n' +
  'mid"quote,b,c\n' +
  'last,"open';

const TRICKY_RECORDS: Parsed = [
  ['name', 'quote', 'note'],
  ['plain', 'a "quoted" word', 'comma, inside'],
  ['Zoë', 'line one\r\nline two', '😀'],
  ['', '', '東京'],
  ['trailing', 'xy', 'z'],
  ['mid"quote', 'b', 'c'],
  'invalid',
];

describe('CsvParser', () => {
  const data = Buffer.from(TRICKY, 'utf8');

  it('parses quoted fields, doubled quotes, CRLF, blank lines, a BOM and an unterminated quote at EOF', () => {
    const { records, offset } = parseCsv(data);
    expect(records).toEqual(TRICKY_RECORDS);
    expect(offset).toBe(data.length);
  });

  it('gives the same records however the bytes are split, including inside multi-byte characters', () => {
    for (let cut = 0; cut <= data.length; cut++) {
      expect(parseCsv(data, [cut]).records).toEqual(TRICKY_RECORDS);
    }
    const everyByte = Array.from({ length: data.length - 1 }, (_, i) => i + 1);
    expect(parseCsv(data, everyByte).records).toEqual(TRICKY_RECORDS);
  });

  it('reports an offset after each push from which a new parser finishes the file exactly', () => {
    for (let cut = 1; cut < data.length; cut++) {
      const seen: Parsed = [];
      const first = new CsvParser(
        { onRecord: (f, n) => seen.push(f.slice(0, n)), onInvalidRecord: () => seen.push('invalid') },
        { startOffset: 0 },
      );
      first.push(data.subarray(0, cut));
      const rest = parseCsv(data.subarray(first.offset), [], first.offset);
      expect([...seen, ...rest.records]).toEqual(TRICKY_RECORDS);
      expect(rest.offset).toBe(data.length);
    }
  });

  it('closes a quoted field that ends exactly at the end of the file', () => {
    expect(parseCsv(Buffer.from('a,b\n1,"two"'), [10]).records).toEqual([
      ['a', 'b'],
      ['1', 'two'],
    ]);
  });

  it('rejects a record longer than the limit instead of buffering the rest of the file', () => {
    const parser = new CsvParser(
      { onRecord: () => undefined, onInvalidRecord: () => undefined },
      { startOffset: 0, maxRecordBytes: 100 },
    );
    parser.push(Buffer.from('a,b\n1,"never closed'));
    expect(() => parser.push(Buffer.alloc(200, 0x61))).toThrow(/longer than 100 bytes/);
  });
});

describe('CsvParser with a fields handler', () => {
  /** The records as a fields handler sees them: each field's text and whether its bytes are the value. */
  function parseFields(data: Buffer, cuts: number[], maxFields?: number): { records: Parsed; plain: string[] } {
    const records: Parsed = [];
    const plain: string[] = [];
    const parser = new CsvParser(
      {
        onFields: (fields, count) => {
          const texts = Array.from({ length: Math.min(count, maxFields ?? count) }, (_, k) => fields.text(k));
          records.push(texts);
          texts.forEach((text, k) => {
            if (fields.quoteEnds[k] === -1) {
              // An unquoted field's value is exactly its bytes.
              expect(fields.buf.toString('utf8', fields.starts[k], fields.ends[k])).toBe(text);
              plain.push(text);
            }
          });
        },
        onInvalidRecord: () => records.push('invalid'),
      },
      { startOffset: 0, maxFields },
    );
    let from = 0;
    for (const cut of [...cuts, data.length]) {
      parser.push(data.subarray(from, cut));
      from = cut;
    }
    parser.end();
    return { records, plain };
  }

  const data = Buffer.from(TRICKY, 'utf8');

  it('describes the same fields as the text handler however the bytes are split', () => {
    const whole = parseFields(data, []);
    expect(whole.records).toEqual(TRICKY_RECORDS);
    expect(whole.plain).toEqual([
      'name',
      'quote',
      'note',
      'plain',
      'Zoë',
      '😀',
      '',
      'trailing',
      'z',
      'mid"quote',
      'b',
      'c',
    ]);
    for (let cut = 0; cut <= data.length; cut++) expect(parseFields(data, [cut])).toEqual(whole);
    const everyByte = Array.from({ length: data.length - 1 }, (_, i) => i + 1);
    expect(parseFields(data, everyByte)).toEqual(whole);
  });

  it('describes at most maxFields fields and counts the rest', () => {
    const counts: number[] = [];
    const parser = new CsvParser(
      { onFields: (_fields, count) => counts.push(count), onInvalidRecord: () => undefined },
      { startOffset: 0, maxFields: 2 },
    );
    parser.push(Buffer.from('a,b,c,d\n1,2\n'));
    expect(counts).toEqual([4, 2]);
    expect(parseFields(Buffer.from('a,"b",c,d\n'), [3, 5], 2).records).toEqual([['a', 'b']]);
  });

  it('keeps fields recorded before a chunk boundary when a record has more fields than it has room for', () => {
    const wide = Array.from({ length: 100 }, (_, k) => `v${k}`);
    const bytes = Buffer.from(`${wide.join(',')}\n"${wide.join('","')}"\n`);
    const cuts = Array.from({ length: Math.floor(bytes.length / 7) }, (_, k) => 7 * (k + 1));
    expect(parseFields(bytes, cuts).records).toEqual([wide, wide]);
  });
});

describe('JsonlParser', () => {
  it('splits lines on LF or CRLF, skips empty ones and decodes characters split between chunks', () => {
    const data = Buffer.from('{"a":"é"}\r\n\n{"b":"😀"}\n{"c":1}', 'utf8');
    for (let cut = 0; cut <= data.length; cut++) {
      const lines: string[] = [];
      const parser = new JsonlParser((line) => lines.push(line), { startOffset: 0 });
      parser.push(data.subarray(0, cut));
      parser.push(data.subarray(cut));
      parser.end();
      expect(lines).toEqual(['{"a":"é"}', '{"b":"😀"}', '{"c":1}']);
      expect(parser.offset).toBe(data.length);
    }
  });
});
