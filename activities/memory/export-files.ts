import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** How long an export is kept when the worker is not told otherwise (`EXPORT_RETENTION_DAYS`). */
export const DEFAULT_EXPORT_RETENTION_MS = 7 * 86_400_000;

const TENANT_FOLDER = /^[0-9a-f]{32}$/;

/**
 * The folder of a tenant's exports under the exports directory: the first 32 hex characters of the
 * SHA-256 of the tenant, so that any tenant name makes a safe, fixed-length file name and one tenant's
 * files never sit next to another's.
 */
export function tenantExportFolder(tenant: string): string {
  return createHash('sha256').update(tenant).digest('hex').slice(0, 32);
}

/**
 * Deletes the files directly in `dir` last modified more than `retentionMs` ago (finished exports and
 * partial files a crash left behind alike); returns how many. A missing directory has nothing to delete,
 * and a file another process deleted first is skipped.
 */
export async function pruneExportFolder(dir: string, retentionMs: number, now = Date.now()): Promise<number> {
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  let removed = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(dir, entry.name);
    try {
      if ((await fsp.stat(file)).mtimeMs >= now - retentionMs) continue;
      await fsp.rm(file);
      removed += 1;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return removed;
}

/**
 * Prunes every tenant's folder under `exportsDir`, and the files directly in it (exports written before
 * exports had tenant folders); returns how many files went. The worker runs it when it starts; each
 * export also prunes its own tenant's folder before writing.
 */
export async function pruneAllExports(exportsDir: string, retentionMs: number, now = Date.now()): Promise<number> {
  const root = path.resolve(exportsDir);
  let removed = await pruneExportFolder(root, retentionMs, now);
  const entries = await fsp.readdir(root, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const entry of entries) {
    if (entry.isDirectory() && TENANT_FOLDER.test(entry.name)) {
      removed += await pruneExportFolder(path.join(root, entry.name), retentionMs, now);
    }
  }
  return removed;
}
