import { seededRandom } from './helpers';

const NAMES = ['Alice', 'Zoë', '東京タワー', '😀 smile', 'O"Brien', 'Smith, John', 'multi\nline', 'Ünïcödé'];
const CATEGORIES = ['alpha', 'beta', 'gamma', 'delta', 'épsilon'];

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * A CSV of about `rows` records exercising everything the parser handles: quoted fields with commas,
 * quotes and line breaks, multi-byte UTF-8, empty fields, CRLF and LF endings, blank lines, rows with a
 * wrong field count, and no line break after the last record.
 */
export function generateCsv(rows: number, seed = 1): string {
  const random = seededRandom(seed);
  const lines = ['id,name,amount,category,note'];
  for (let i = 0; i < rows; i++) {
    const name = NAMES[Math.floor(random() * NAMES.length)]!;
    const amount = random() < 0.05 ? '' : (random() * 2000 - 1000).toFixed(3);
    const category = CATEGORIES[i % CATEGORIES.length]!;
    const note = random() < 0.1 ? `line one\r\nline "two", ${i % 37}` : random() < 0.3 ? '' : `n${i % 15_000}`;
    let line = [String(i), csvField(name), amount, csvField(category), csvField(note)].join(',');
    if (i % 997 === 0) line += ',extra';
    if (i % 1_499 === 0) line += '\n';
    lines.push(line);
  }
  return lines.map((line, i) => (i % 3 === 0 ? `${line}\r\n` : `${line}\n`)).join('') + '999999,last,1,alpha,end';
}

/**
 * JSON Lines of about `rows` objects: varying keys, JSON nulls, nested values, numbers and strings,
 * multi-byte text, malformed lines and non-objects, and a column (`late`) that first appears two thirds
 * of the way through.
 */
export function generateJsonl(rows: number, seed = 2): string {
  const random = seededRandom(seed);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    if (i % 1_009 === 0) {
      lines.push(i % 2 === 0 ? '{"broken": ' : '[1, 2, 3]');
      continue;
    }
    const row: Record<string, unknown> = { id: i, score: Math.round(random() * 1e6) / 100 };
    if (random() < 0.8) row.name = NAMES[Math.floor(random() * NAMES.length)];
    if (random() < 0.1) row.score = null;
    if (i % 7 === 0) row.tags = { k: i % 3, list: [i % 2, 'x'] };
    if (i > (rows * 2) / 3) row.late = i % 11 === 0 ? 'eleven' : i % 5;
    lines.push(JSON.stringify(row));
    if (i % 2_003 === 0) lines.push('   ');
  }
  return lines.join('\n') + '\n';
}
