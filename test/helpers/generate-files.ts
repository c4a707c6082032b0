import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Writes `header` (if any) then `line(i)` for i = 1..count, each followed by a newline, in 1 MiB
 * chunks with back-pressure, so that files of millions of lines cost little memory to make.
 */
export async function writeGeneratedLines(
  file: string,
  count: number,
  line: (i: number) => string,
  header?: string,
): Promise<void> {
  const out = createWriteStream(file);
  let chunk = header === undefined ? '' : `${header}\n`;
  for (let i = 1; i <= count; i++) {
    chunk += `${line(i)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}
