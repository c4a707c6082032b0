import { invalidInput } from '../common/failures';
import { errorMessage } from '../../common/error-message';

/** Limits every stored decision satisfies, whether recorded or imported. Lengths are UTF-16 units, as zod counts. */
export const DECISION_LIMITS = {
  titleMax: 500,
  decisionMax: 10_000,
  rationaleMax: 10_000,
  maxTags: 32,
  tagMax: 64,
  externalIdMax: 200,
  /** Identities as `export_memory` writes them: a prefix and an id, e.g. `import:<externalIdMax chars>`. */
  keyMax: 300,
} as const;

/** A field that fails validation; the message is phrased for the user and names the field. */
export class FieldError extends Error {
  override readonly name = 'FieldError';
}

/** A decision's content after validation and normalisation. */
export interface DecisionFields {
  title: string;
  decision: string;
  rationale: string | null;
  tags: string[];
}

/**
 * Validates and normalises the content fields shared by `recordDecision` and the import: title and
 * decision are trimmed and required, the rationale is trimmed and blank becomes `null`, tags go through
 * {@link normaliseTags}. No text is longer than `maxTextChars` (the `MEMORY_VALUE_MAX_CHARS` setting),
 * nor than its field's own limit. Throws `FieldError`.
 */
export function normaliseDecisionFields(
  input: {
    title: unknown;
    decision: unknown;
    rationale?: unknown;
    tags?: unknown;
  },
  maxTextChars: number = Infinity,
): DecisionFields {
  const cap = (fieldMax: number) => Math.min(fieldMax, maxTextChars);
  const title = requiredText(input.title, 'title', cap(DECISION_LIMITS.titleMax));
  const decision = requiredText(input.decision, 'decision', cap(DECISION_LIMITS.decisionMax));
  const rationale = optionalText(input.rationale, 'rationale', cap(DECISION_LIMITS.rationaleMax));
  return { title, decision, rationale, tags: normaliseTags(input.tags) };
}

function requiredText(value: unknown, field: string, max: number): string {
  const text = optionalText(value, field, max);
  if (text === null) throw new FieldError(`${field} is missing`);
  return text;
}

function optionalText(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new FieldError(`${field} must be a string`);
  const text = value.trim();
  if (text.length > max) throw new FieldError(`${field} is longer than ${max} characters`);
  return text === '' ? null : text;
}

/**
 * Tags from an array of strings or a `;`-separated string: each is split on `;` (the CSV separator, so
 * a tag can never contain one), trimmed and lower-cased; blanks are dropped and duplicates removed,
 * keeping the first-seen order. Throws `FieldError` for other types, a tag over 64 characters or more
 * than 32 tags.
 */
export function normaliseTags(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  let parts: string[];
  if (typeof value === 'string') {
    parts = value.split(';');
  } else if (Array.isArray(value) && value.every((tag) => typeof tag === 'string')) {
    parts = value.flatMap((tag: string) => tag.split(';'));
  } else {
    throw new FieldError('tags must be an array of strings or a ";"-separated string');
  }
  const tags = new Set<string>();
  for (const part of parts) {
    const tag = part.trim().toLowerCase();
    if (tag === '') continue;
    if (tag.length > DECISION_LIMITS.tagMax) {
      throw new FieldError(`tag "${preview(tag)}" is longer than ${DECISION_LIMITS.tagMax} characters`);
    }
    tags.add(tag);
  }
  if (tags.size > DECISION_LIMITS.maxTags) {
    throw new FieldError(`too many tags (${tags.size}, at most ${DECISION_LIMITS.maxTags})`);
  }
  return [...tags];
}

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Parses an ISO 8601 date (`2026-01-31`, midnight UTC) or date-time (`2026-01-31T12:00[:00[.123]]`,
 * with `Z`, `±hh[:mm]` or no offset, which is read as UTC) into the canonical stored form,
 * `Date#toISOString()`. Canonical strings sort chronologically, which the SQL range filters rely on.
 * Returns `undefined` for anything else, including impossible dates like `2026-02-30`.
 */
export function parseIsoDate(value: string): string | undefined {
  const match = ISO_DATE.exec(value.trim());
  if (!match) return undefined;
  const part = (i: number) => Number(match[i] ?? 0);
  const [year, month, day, hour, minute, second] = [part(1), part(2), part(3), part(4), part(5), part(6)];
  const millis = Number((match[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  date.setUTCFullYear(year, month - 1, day);
  const valid =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59;
  if (!valid) return undefined;
  let time = date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
  const zone = match[8];
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    time -= sign * offsetMinutes * 60_000;
  }
  const result = new Date(time);
  // Outside years 0..9999 toISOString() switches to a six-digit year, which would break ordering.
  if (result.getUTCFullYear() < 0 || result.getUTCFullYear() > 9999) return undefined;
  return result.toISOString();
}

/** {@link parseIsoDate} for a field that may be absent: `undefined` when absent, `FieldError` when invalid. */
export function optionalIsoDate(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = typeof value === 'string' ? parseIsoDate(value) : undefined;
  if (parsed === undefined) {
    throw new FieldError(`${field} is not a valid ISO 8601 date (${preview(JSON.stringify(value) ?? '')})`);
  }
  return parsed;
}

/** An activity argument that must be an ISO date when given; throws an `InvalidInput` failure otherwise. */
export function isoArgument(value: unknown, field: string): string | undefined {
  try {
    return optionalIsoDate(value, field);
  } catch (err) {
    throw invalidInput(errorMessage(err));
  }
}

/** Normalises a tag argument of a filter the way stored tags are normalised; `undefined` when absent. */
export function tagArgument(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidInput('tag must be a string');
  const tag = value.trim().toLowerCase();
  if (tag === '') throw invalidInput('tag must not be empty');
  return tag;
}

/** The first 40 characters of `text`, so that messages quoting user data stay short. */
export function preview(text: string): string {
  return text.length <= 40 ? text : `${text.slice(0, 40)}…`;
}
