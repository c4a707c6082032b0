import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { reportProgress } from '../common/progress-report';
import type { HeartbeatDetails, ProgressDetails } from '../../common/task-types';
import type { ActivityObserver } from '../observer';
import { reportCancellation, yieldAndCheck } from '../common/activity-context';
import { neutraliseFormula } from './csv-formulas';
import { toRecord, type DecisionRow, type MemoryStore } from './memory-store';
import { DEFAULT_EXPORT_RETENTION_MS, pruneExportFolder, tenantExportFolder } from './export-files';
import { tenantOf } from './tenant';
import type { DecisionRecord, ExportMemoryOptions, ProjectMemoryActivities } from './types';

/** Rows read and written per step; between steps the event loop runs (heartbeats, cancellation). */
const PAGE_ROWS = 1000;

/** The CSV export's header, which `importDecisions` reads back. */
export const CSV_HEADER = 'id,key,title,decision,rationale,tags,created_at';

type ExportFormat = ExportMemoryOptions['format'];

/**
 * A decision as exported: the record plus `key`, its identity in the store, which `importDecisions`
 * keys the decision by, so that importing an export into the same store changes nothing.
 */
type ExportedDecision = DecisionRecord & { key: string };

function toExported(row: DecisionRow): ExportedDecision {
  // Every row has an identity since schema 2; `memory:<id>` is what the migration gives older rows.
  return { ...toRecord(row), key: row.external_id ?? `memory:${row.id}` };
}

/** How each format frames its records. */
const FORMATS: Record<
  ExportFormat,
  { head: string; row: (record: ExportedDecision, index: number) => string; tail: string }
> = {
  jsonl: { head: '', row: (record) => `${JSON.stringify(record)}\n`, tail: '' },
  json: {
    head: '{"decisions":[',
    row: (record, index) => `${index === 0 ? '' : ','}\n${JSON.stringify(record)}`,
    tail: '\n]}\n',
  },
  csv: { head: `${CSV_HEADER}\r\n`, row: (record) => `${csvRow(record)}\r\n`, tail: '' },
};

/**
 * One RFC 4180 row: fields with a comma, quote or line break are quoted, quotes doubled; tags joined by
 * `;`. A field a spreadsheet would run as a formula gets a leading `'` (see csv-formulas.ts).
 */
function csvRow(record: ExportedDecision): string {
  const fields = [
    String(record.id),
    record.key,
    record.title,
    record.decision,
    record.rationale ?? '',
    record.tags.join(';'),
    record.createdAt,
  ];
  return fields
    .map(neutraliseFormula)
    .map((field) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field))
    .join(',');
}

/**
 * Builds `exportMemory`: writes every decision of the scope's tenant, ordered by id, to
 * `exportsDir/<tenant folder>/<ISO time without colons>-<8 hex>.<format>` and returns its path relative
 * to `exportsDir` (never an absolute server path: the client sees it), the count and the SHA-256 of
 * its bytes (hashed while writing). Formats: `jsonl` (one `DecisionRecord` per line),
 * `json` (`{"decisions":[...]}`) and `csv` (header `id,key,title,decision,rationale,tags,created_at`,
 * CRLF, tags joined by `;`, formula cells neutralised), which `importDecisions` reads back into the
 * same records. The tenant folder is the first 32 hex characters of the tenant's SHA-256; files in it
 * older than `retentionMs` are deleted before the new one is written.
 *
 * Streams in pages of 1000 rows, so memory stays flat. The export covers the ids existing when it
 * starts: decisions added meanwhile are left out, and rows changed or deleted meanwhile are written as
 * they are when their page is read. The file is written under a hidden `.partial` name, synced, then
 * renamed, so the final name only ever holds a complete file; a failure or cancellation deletes the
 * partial file (a crash of the process can leave one behind). Retries write a new file.
 */
export function createExportMemory(
  store: () => MemoryStore,
  deps: { exportsDir: string; observer: ActivityObserver; retentionMs?: number },
): ProjectMemoryActivities['exportMemory'] {
  const retentionMs = deps.retentionMs ?? DEFAULT_EXPORT_RETENTION_MS;
  return async function exportMemory(options, scope) {
    const tenant = tenantOf(scope);
    const { format } = options;
    const { head, row, tail } = FORMATS[format];
    const folder = tenantExportFolder(tenant);
    const dir = path.join(path.resolve(deps.exportsDir), folder);
    await fsp.mkdir(dir, { recursive: true });
    await pruneExportFolder(dir, retentionMs);
    const name = `${new Date().toISOString().replaceAll(':', '')}-${randomBytes(4).toString('hex')}.${format}`;
    const finalPath = path.join(dir, name);
    const partialPath = path.join(dir, `.${name}.partial`);
    const db = store();
    const maxId = await db.maxId();
    let count = 0;
    const progress = (): ProgressDetails => ({ current: count, message: `Exported ${count} decisions` });

    return reportCancellation(deps.observer, progress, async (signal) => {
      const file = await fsp.open(partialPath, 'wx');
      const hash = createHash('sha256');
      const write = async (text: string) => {
        const bytes = Buffer.from(text, 'utf8');
        hash.update(bytes);
        for (let at = 0; at < bytes.length;) at += (await file.write(bytes, at)).bytesWritten;
      };
      try {
        await write(head);
        let afterId = 0;
        for (;;) {
          const rows = await db.pageById(tenant, afterId, maxId, PAGE_ROWS);
          const last = rows[rows.length - 1];
          if (last === undefined) break;
          await write(rows.map((r, i) => row(toExported(r), count + i)).join(''));
          count += rows.length;
          afterId = last.id;
          reportProgress({ progress: progress() } satisfies HeartbeatDetails);
          await yieldAndCheck(signal);
        }
        await write(tail);
        await file.sync();
        await file.close();
        await fsp.rename(partialPath, finalPath);
      } catch (err) {
        await file.close().catch(() => undefined);
        await fsp.rm(partialPath, { force: true });
        throw err;
      }
      return { path: `${folder}/${name}`, count, sha256: hash.digest('hex') };
    });
  };
}
