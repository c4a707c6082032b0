import { ApplicationFailure } from '@temporalio/common';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { TaskFailureType } from '../../common/task-types';
import { toolFailure, invalidInput } from './failures';
import { SOURCE_UNAVAILABLE_FAILURE_TYPE, fetchWithPolicy } from './url-fetch';
import { checkUrl, type UrlSourcePolicy } from './url-policy';

/** The formats the analyser can parse. */
export type DatasetFormat = 'csv' | 'jsonl';

/**
 * A dataset source after validation: a real path inside an allowed root (with the roots, which the
 * opened file is checked against again), or an allowed URL (with the policy every request obeys).
 */
export type ResolvedSource =
  | { kind: 'file'; path: string; realRoots: string[]; given: string }
  | { kind: 'url'; url: URL; policy: UrlSourcePolicy };

/** An open byte stream over a source, starting at a given offset. */
export interface OpenedSource {
  /** The source's bytes from the requested offset on, as Buffers. */
  chunks: AsyncIterable<Buffer>;
  /** The size of the whole source, when the file system or server tells it. */
  totalBytes?: number;
  /** A change marker (file mtime, HTTP ETag or Last-Modified); a checkpoint is only valid while it holds. */
  version?: string;
  /** Releases the file handle or connection; idempotent and safe to call at any time. */
  close(): void;
}

/** Where datasets may come from; `datasetRoots[0]` is the base for relative paths. */
export interface SourcePolicy {
  datasetRoots: string[];
  /** Which URLs may be fetched, and how much of them; `hosts: []` turns URL sources off. */
  urlSources: UrlSourcePolicy;
}

/**
 * What a checkpoint was taken on. A checkpoint is only restored when all of it still matches: the
 * same request, and a source of the same size and version (mtime or ETag), so that a file replaced
 * between two attempts is analysed from the start instead of from a meaningless offset.
 */
export interface SourceFingerprint {
  source: string;
  format: DatasetFormat;
  columns: string[] | null;
  totalBytes: number | null;
  version: string | null;
}

/** Whether two fingerprints describe the same request on the same source content. */
export function sameFingerprint(a: SourceFingerprint, b: SourceFingerprint): boolean {
  return (
    a.source === b.source &&
    a.format === b.format &&
    a.totalBytes === b.totalBytes &&
    a.version === b.version &&
    JSON.stringify(a.columns) === JSON.stringify(b.columns)
  );
}

/** The fingerprint of a request on an opened source. */
export function fingerprintOf(options: {
  source: string;
  format: DatasetFormat;
  columns?: string[];
  opened: OpenedSource;
}): SourceFingerprint {
  return {
    source: options.source,
    format: options.format,
    columns: options.columns ?? null,
    totalBytes: options.opened.totalBytes ?? null,
    version: options.opened.version ?? null,
  };
}

/** A source opened where a run continues: at its checkpoint, or from the start. */
export interface ResumedSource {
  opened: OpenedSource;
  fingerprint: SourceFingerprint;
  /** False when there was no checkpoint, or the source changed since it was taken. */
  resumed: boolean;
}

/**
 * Opens a source at the offset of the checkpoint a run resumes from. When the source changed since
 * the checkpoint was taken (its fingerprint differs), the checkpoint is worthless: the source is
 * opened again from its start and `resumed` is false.
 */
export async function openFromCheckpoint(options: {
  request: Omit<Parameters<typeof fingerprintOf>[0], 'opened'>;
  checkpoint?: { offset: number; fingerprint: SourceFingerprint };
  open: (offset: number) => Promise<OpenedSource>;
  onStale: () => void;
}): Promise<ResumedSource> {
  const { request, checkpoint, open } = options;
  const opened = await open(checkpoint?.offset ?? 0);
  const fingerprint = fingerprintOf({ ...request, opened });
  if (checkpoint === undefined) return { opened, fingerprint, resumed: false };
  if (sameFingerprint(checkpoint.fingerprint, fingerprint)) return { opened, fingerprint, resumed: true };
  options.onStale();
  opened.close();
  const fresh = await open(0);
  return { opened: fresh, fingerprint: fingerprintOf({ ...request, opened: fresh }), resumed: false };
}

const SCHEME = /^[a-z][a-z0-9+.-]+:/i;

/**
 * Validates `source` against the policy without reading it. Paths are resolved against the first root
 * and must stay inside a root both lexically and after `realpath` (so neither `..` nor a symlink can
 * escape; {@link openSource} checks the opened file again); URLs must pass the URL policy
 * ({@link checkUrl}). Throws `AccessDenied`, `SourceNotFound`, `SourceUnreadable` (directories) or
 * `InvalidInput` failures, all non-retryable.
 */
export async function resolveSource(source: string, policy: SourcePolicy): Promise<ResolvedSource> {
  if (source.includes('\0')) throw invalidInput('source contains a NUL character');
  const denied = () => toolFailure(TaskFailureType.AccessDenied, `access denied: ${source}`);
  if (SCHEME.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw invalidInput(`invalid URL: ${source}`);
    }
    checkUrl(url, policy.urlSources);
    return { kind: 'url', url, policy: policy.urlSources };
  }
  const [baseRoot] = policy.datasetRoots;
  if (baseRoot === undefined) throw denied();
  const absolute = path.resolve(baseRoot, source);
  const lexicalRoots = policy.datasetRoots.map((root) => path.resolve(root));
  const realRoots = await Promise.all(lexicalRoots.map((root) => fsp.realpath(root).catch(() => root)));
  // Check before touching the file system so that paths outside the roots do not reveal whether they exist.
  if (![...lexicalRoots, ...realRoots].some((root) => isInside(root, absolute))) throw denied();
  let real: string;
  try {
    real = await fsp.realpath(absolute);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw toolFailure(TaskFailureType.SourceNotFound, `file not found: ${source}`);
    }
    throw toolFailure(TaskFailureType.SourceUnreadable, `cannot read ${source}: ${code ?? String(err)}`);
  }
  if (!realRoots.some((root) => isInside(root, real))) throw denied();
  const stat = await fsp.stat(real);
  if (!stat.isFile()) throw toolFailure(TaskFailureType.SourceUnreadable, `not a regular file: ${source}`);
  return { kind: 'file', path: real, realRoots, given: source };
}

/**
 * How messages name a resolved source: as the client gave it (never the server's absolute path, which
 * says how the server is laid out), or its URL.
 */
export function sourceName(source: ResolvedSource): string {
  return source.kind === 'file' ? source.given : source.url.href;
}

/**
 * The format to parse: `explicit` if given, else from the file or URL path's extension (`.csv`,
 * `.jsonl`, `.ndjson`). Throws `InvalidInput` when neither tells.
 */
export function inferFormat(source: ResolvedSource, explicit: DatasetFormat | undefined): DatasetFormat {
  if (explicit !== undefined) return explicit;
  const name = source.kind === 'file' ? source.path : source.url.pathname;
  const ext = path.extname(name).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw invalidInput(
    `cannot tell the format of ${source.kind === 'file' ? name : source.url.href} from its extension ` +
      `(${ext === '' ? 'none' : ext}); pass format "csv" or "jsonl"`,
  );
}

/**
 * Opens `source` at byte `offset`. Files are opened first and then checked: the real path of the
 * opened descriptor must lie inside the roots, so a symlink swapped in after {@link resolveSource}
 * cannot lead outside them, and only that descriptor is read. URLs are fetched under their policy
 * ({@link fetchWithPolicy}) with `Range: bytes=<offset>-`, and when the server ignores the range (200)
 * the first `offset` bytes are skipped; a source larger than `policy.maxBytes` fails. `signal` aborts a
 * download in flight. HTTP 404 throws `SourceNotFound`, any other non-2xx `SourceUnreadable`; network
 * errors propagate unchanged so that the activity is retried.
 */
export async function openSource(
  source: ResolvedSource,
  offset: number,
  signal: AbortSignal,
  chunkBytes?: number,
): Promise<OpenedSource> {
  return source.kind === 'file' ? openFile(source, offset, chunkBytes) : openUrl(source, offset, signal);
}

async function openFile(
  source: Extract<ResolvedSource, { kind: 'file' }>,
  offset: number,
  chunkBytes: number | undefined,
): Promise<OpenedSource> {
  const file = source.path;
  let handle: fsp.FileHandle;
  try {
    // Non-blocking: opening a FIFO must not hang the worker; it is refused below as not a regular file.
    handle = await fsp.open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') throw toolFailure(TaskFailureType.SourceNotFound, `file not found: ${source.given}`);
    throw toolFailure(TaskFailureType.SourceUnreadable, `cannot read ${source.given}: ${code ?? String(err)}`);
  }
  try {
    const real = await openedPath(handle, file);
    if (real === undefined || !source.realRoots.some((root) => isInside(root, real))) {
      throw toolFailure(TaskFailureType.AccessDenied, `access denied: ${source.given}`);
    }
    const stat = await handle.stat();
    if (!stat.isFile()) throw toolFailure(TaskFailureType.SourceUnreadable, `not a regular file: ${source.given}`);
    const stream = handle.createReadStream({ start: offset, highWaterMark: chunkBytes ?? 64 * 1024 });
    return {
      chunks: stream,
      totalBytes: stat.size,
      version: `mtime:${stat.mtimeMs}`,
      close: () => stream.destroy(),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * The real path of the file behind an open handle, read from the descriptor itself where the system
 * tells it (`/proc/self/fd`). Elsewhere, the path's real path, accepted only if it is the same file
 * (device and inode) as the one opened. `undefined` when the two differ: the path was swapped.
 */
async function openedPath(handle: fsp.FileHandle, file: string): Promise<string | undefined> {
  try {
    return await fsp.readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    try {
      const real = await fsp.realpath(file);
      const [opened, named] = await Promise.all([handle.stat(), fsp.stat(real)]);
      return opened.dev === named.dev && opened.ino === named.ino ? real : undefined;
    } catch {
      // The path vanished after it was opened: it was swapped.
      return undefined;
    }
  }
}

async function openUrl(
  source: Extract<ResolvedSource, { kind: 'url' }>,
  offset: number,
  cancel: AbortSignal,
): Promise<OpenedSource> {
  const { url, policy } = source;
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  const response = await fetchWithPolicy(url, { policy, headers, signal: cancel });
  const close = () => response.close();
  const fail = (type: TaskFailureType, message: string): never => {
    close();
    throw toolFailure(type, message);
  };
  const header = (name: string): string | undefined => {
    const value = response.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const version = header('etag') ?? header('last-modified') ?? undefined;
  const range = parseContentRange(header('content-range') ?? null);
  const tooLarge = (size: number) =>
    fail(
      TaskFailureType.SourceUnreadable,
      `${url.href} is larger than ${policy.maxBytes} bytes, the most a URL source may send (${size} bytes)`,
    );
  if (response.status === 416 && offset > 0) {
    // Resuming exactly at the end: nothing is left to read.
    close();
    return { chunks: emptyChunks(), totalBytes: range?.total, version, close };
  }
  if (response.status === 404) fail(TaskFailureType.SourceNotFound, `not found: ${url.href} (HTTP 404)`);
  if (response.status >= 500 || response.status === 429) {
    // The server may recover: a retryable failure lets Temporal retry and resume from the checkpoint.
    close();
    throw ApplicationFailure.create({
      type: SOURCE_UNAVAILABLE_FAILURE_TYPE,
      message: `${url.href} answered HTTP ${response.status}`,
    });
  }
  if (response.status < 200 || response.status > 299) {
    fail(TaskFailureType.SourceUnreadable, `cannot read ${url.href}: HTTP ${response.status}`);
  }
  if (response.status === 206) {
    if (range?.start !== offset) fail(TaskFailureType.SourceUnreadable, `${url.href} answered an unexpected range`);
    if (range?.total !== undefined && range.total > policy.maxBytes) tooLarge(range.total);
    const body = capBytes(response.body, offset, policy.maxBytes, url.href, cancel);
    return { chunks: body, totalBytes: range?.total, version, close };
  }
  const length = Number(header('content-length') ?? NaN);
  const totalBytes = Number.isSafeInteger(length) ? length : undefined;
  if (totalBytes !== undefined && totalBytes > policy.maxBytes) tooLarge(totalBytes);
  const body = capBytes(response.body, 0, policy.maxBytes, url.href, cancel);
  return { chunks: offset > 0 ? skipBytes(body, offset, url.href) : body, totalBytes, version, close };
}

/**
 * The body's chunks, failing once the source passes `maxBytes` (counted from its start, `startOffset`
 * being where this body begins). A body cut by a cancellation ends with the cancellation itself.
 */
async function* capBytes(
  body: AsyncIterable<Buffer>,
  startOffset: number,
  maxBytes: number,
  name: string,
  cancel: AbortSignal,
): AsyncGenerator<Buffer> {
  let position = startOffset;
  try {
    for await (const chunk of body) {
      position += chunk.length;
      if (position > maxBytes) {
        throw toolFailure(
          TaskFailureType.SourceUnreadable,
          `${name} is larger than ${maxBytes} bytes, the most a URL source may send`,
        );
      }
      yield chunk;
    }
  } catch (err) {
    if (cancel.aborted) throw cancel.reason;
    throw err;
  }
}

async function* skipBytes(chunks: AsyncIterable<Buffer>, count: number, name: string): AsyncGenerator<Buffer> {
  let remaining = count;
  for await (const chunk of chunks) {
    if (remaining >= chunk.length) {
      remaining -= chunk.length;
    } else {
      yield remaining > 0 ? chunk.subarray(remaining) : chunk;
      remaining = 0;
    }
  }
  if (remaining > 0) throw toolFailure(TaskFailureType.SourceUnreadable, `${name} is shorter than the checkpoint`);
}

// eslint-disable-next-line require-yield
async function* emptyChunks(): AsyncGenerator<Buffer> {
  return;
}

function parseContentRange(header: string | null): { start: number; total?: number } | undefined {
  const match = header === null ? null : /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(header.trim());
  if (!match) return undefined;
  const total = match[2] === '*' || match[2] === undefined ? undefined : Number(match[2]);
  return { start: match[1] === undefined ? -1 : Number(match[1]), total };
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative));
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
