import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/** A mistake in how the command was called; the message says what to write instead. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The arguments of a tool call: `--args-json` first, then each `--arg key=value` over it. A value is
 * read as the tool's input schema types that property (a string stays a string, `--arg limit=5` is a
 * number, `--arg tags=["a","b"]` an array); without a declared type, JSON if it parses, else a string.
 */
export function toolArguments(
  pairs: readonly string[],
  argsJson: string | undefined,
  inputSchema: Tool['inputSchema'] | undefined,
): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (argsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(argsJson);
    } catch (error) {
      throw new UsageError(`--args-json is not JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError('--args-json must be a JSON object, e.g. {"duration": 5}');
    }
    Object.assign(args, parsed);
  }
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--arg takes key=value, got "${pair}"`);
    const key = pair.slice(0, equals);
    args[key] = readValue(key, pair.slice(equals + 1), declaredType(inputSchema, key));
  }
  return args;
}

function declaredType(inputSchema: Tool['inputSchema'] | undefined, key: string): string | undefined {
  const property = inputSchema?.properties?.[key] as { type?: unknown } | undefined;
  return typeof property?.type === 'string' ? property.type : undefined;
}

function readValue(key: string, text: string, type: string | undefined): unknown {
  if (type === 'string') return text;
  if (type === 'number' || type === 'integer') {
    const value = Number(text);
    if (text.trim() === '' || Number.isNaN(value)) throw new UsageError(`--arg ${key} must be a number, got "${text}"`);
    return value;
  }
  if (type === 'boolean') {
    if (text === 'true' || text === 'false') return text === 'true';
    throw new UsageError(`--arg ${key} must be true or false, got "${text}"`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (type === 'array' || type === 'object')
      throw new UsageError(`--arg ${key} must be JSON (${type}), got "${text}"`);
    return text;
  }
}
