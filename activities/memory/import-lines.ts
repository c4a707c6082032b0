import { createHash } from 'node:crypto';
import { TaskFailureType } from '../../common/task-types';
import { toolFailure } from '../common/failures';
import { restoreFormula } from './csv-formulas';
import { DECISION_LIMITS, FieldError, normaliseDecisionFields, optionalIsoDate } from './decision-fields';
import type { KeyedDecision } from './memory-store';
import { parseCsvFields, type RawRecord } from '../common/record-splitter';

/** A parsed source record: a decision to write, or the reason the line is skipped. */
export type LineResult = { ok: true; decision: KeyedDecision } | { ok: false; error: string };

/** A record's fields before validation, whatever the format. */
interface RawFields {
  /** The identity `export_memory` writes; wins over `id`, so that an export imports back onto the same decisions. */
  key: unknown;
  id: unknown;
  title: unknown;
  decision: unknown;
  rationale: unknown;
  tags: unknown;
  createdAt: unknown;
}

/**
 * The identity of an imported record: `import:<id>` when the source gives an id, else
 * `import:<sha256 of title, decision and createdAt (or '') joined by NUL>` over the normalised values,
 * so that the same line imported twice, from any file, maps to the same decision.
 */
export function importExternalId(id: string | undefined, title: string, decision: string, createdAt?: string): string {
  if (id !== undefined) return `import:${id}`;
  const hash = createHash('sha256')
    .update(`${title}\u0000${decision}\u0000${createdAt ?? ''}`)
    .digest('hex');
  return `import:${hash}`;
}

function toDecision(raw: RawFields, dateField: string, maxTextChars: number): KeyedDecision {
  const key = exportedKey(raw.key);
  const id = sourceId(raw.id);
  const fields = normaliseDecisionFields(raw, maxTextChars);
  const createdAt = optionalIsoDate(raw.createdAt, dateField);
  return { ...fields, createdAt, externalId: key ?? importExternalId(id, fields.title, fields.decision, createdAt) };
}

function exportedKey(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new FieldError('key must be a string');
  if (value.length > DECISION_LIMITS.keyMax)
    throw new FieldError(`key is longer than ${DECISION_LIMITS.keyMax} characters`);
  return value;
}

function sourceId(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  let id: string;
  if (typeof value === 'number' && Number.isFinite(value)) id = String(value);
  else if (typeof value === 'string') id = value.trim();
  else throw new FieldError('id must be a string or a number');
  if (id.length > DECISION_LIMITS.externalIdMax) {
    throw new FieldError(`id is longer than ${DECISION_LIMITS.externalIdMax} characters`);
  }
  return id === '' ? undefined : id;
}

function outcome(record: RawRecord, build: () => KeyedDecision): LineResult {
  try {
    return { ok: true, decision: build() };
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, error: `line ${record.line}: ${err.message}` };
    throw err;
  }
}

/**
 * Parses a JSONL line: `{id?, title, decision, rationale?, tags?, createdAt?}`; other keys are ignored.
 * A text longer than `maxTextChars` makes the line invalid.
 */
export function parseJsonRecord(record: RawRecord, maxTextChars: number = Infinity): LineResult {
  let value: unknown;
  try {
    value = JSON.parse(record.text);
  } catch {
    return { ok: false, error: `line ${record.line}: not valid JSON` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: `line ${record.line}: not a JSON object` };
  }
  const object = value as Record<string, unknown>;
  const dateField = object.createdAt === undefined && object.created_at !== undefined ? 'created_at' : 'createdAt';
  return outcome(record, () =>
    toDecision(
      {
        key: object.key,
        id: object.id,
        title: object.title,
        decision: object.decision,
        rationale: object.rationale,
        tags: object.tags,
        createdAt: object.createdAt ?? object.created_at,
      },
      dateField,
      maxTextChars,
    ),
  );
}

/** Column names the CSV import understands, after trimming and lower-casing the header. */
const CSV_COLUMNS: Record<string, keyof RawFields> = {
  key: 'key',
  id: 'id',
  title: 'title',
  decision: 'decision',
  rationale: 'rationale',
  tags: 'tags',
  created_at: 'createdAt',
  createdat: 'createdAt',
};

/**
 * Reads a CSV header record into normalised column names. Throws a non-retryable `SourceUnreadable`
 * when it has more than `maxColumns` columns, or when `title` or `decision` is missing, since no row
 * could then be valid.
 */
export function readCsvHeader(record: RawRecord, maxColumns: number = Infinity): string[] {
  const fields = parseCsvFields(record.text);
  if (fields.length > maxColumns) {
    throw toolFailure(
      TaskFailureType.SourceUnreadable,
      `CSV header (line ${record.line}) has ${fields.length} columns, more than ${maxColumns}, the most a source may have`,
    );
  }
  const header = fields.map((name) => name.trim().toLowerCase());
  for (const required of ['title', 'decision']) {
    if (!header.includes(required)) {
      throw toolFailure(
        TaskFailureType.SourceUnreadable,
        `CSV header (line ${record.line}) has no "${required}" column; expected id,key,title,decision,rationale,tags,created_at`,
      );
    }
  }
  return header;
}

/** Maps CSV rows onto decision fields using a header read by {@link readCsvHeader}. */
export class CsvColumns {
  /** For each known field, the index of the first column carrying it. */
  private readonly index = new Map<keyof RawFields, number>();

  /** @param maxTextChars Longest stored text; a row with a longer one is invalid. */
  constructor(
    readonly header: readonly string[],
    private readonly maxTextChars: number = Infinity,
  ) {
    header.forEach((name, i) => {
      const field = CSV_COLUMNS[name];
      if (field !== undefined && !this.index.has(field)) this.index.set(field, i);
    });
  }

  /**
   * Parses one data row. Empty fields count as absent; a row whose field count differs from the
   * header's is invalid. A formula cell the export neutralised (`'=…`) gets its text back.
   */
  parse(record: RawRecord): LineResult {
    if (record.unterminated) return { ok: false, error: `line ${record.line}: unterminated quoted field` };
    const fields = parseCsvFields(record.text).map(restoreFormula);
    if (fields.length !== this.header.length) {
      return {
        ok: false,
        error: `line ${record.line}: has ${fields.length} fields, the header has ${this.header.length}`,
      };
    }
    const get = (field: keyof RawFields): string | undefined => {
      const i = this.index.get(field);
      return i === undefined || fields[i] === '' ? undefined : fields[i];
    };
    return outcome(record, () =>
      toDecision(
        {
          key: get('key'),
          id: get('id'),
          title: get('title'),
          decision: get('decision'),
          rationale: get('rationale'),
          tags: get('tags'),
          createdAt: get('createdAt'),
        },
        'created_at',
        this.maxTextChars,
      ),
    );
  }
}
