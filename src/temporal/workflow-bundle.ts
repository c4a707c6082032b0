import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { PROJECT_ROOT } from './cli-path';

/**
 * The workflow bundle that `npm run build` writes, so that a worker starts without bundling its
 * workflow code (webpack takes most of a worker's start: tens of seconds on a loaded machine).
 */
export const WORKFLOW_BUNDLE_DIR = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle');
const BUNDLE_FILE = path.join(WORKFLOW_BUNDLE_DIR, 'workflows.js');
const MANIFEST_FILE = path.join(WORKFLOW_BUNDLE_DIR, 'manifest.json');

/** The compiled code the bundle is made of: the workflows, what they import from `common/`, and the packages they use. */
const COMPILED_INPUT_DIRS = [path.join(PROJECT_ROOT, 'dist', 'workflows'), path.join(PROJECT_ROOT, 'dist', 'common')];
const INPUT_PACKAGES = ['@temporalio/workflow', '@temporalio/common', '@temporalio/worker', 'nexus-rpc', 'zod'];

/** The compiled workflow barrel the bundle starts from. */
export const COMPILED_WORKFLOWS_PATH = path.join(PROJECT_ROOT, 'dist', 'workflows', 'index.js');

interface Manifest {
  inputsHash: string;
}

/** Where a worker's workflow code comes from, and why (for its start-up log). */
export type WorkflowCodeSource =
  | { kind: 'prebuilt'; codePath: string }
  | { kind: 'source'; reason: 'not compiled' | 'no prebuilt bundle' | 'prebuilt bundle is stale' };

function jsFilesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...jsFilesUnder(full));
    else if (entry.isFile() && entry.name.endsWith('.js')) files.push(full);
  }
  return files;
}

function packageVersion(name: string): string {
  try {
    const manifest = JSON.parse(
      readFileSync(path.join(PROJECT_ROOT, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'missing';
  }
}

/**
 * A hash of everything the bundle is built from. A bundle whose hash differs from the compiled code's
 * (a `tsc` run without the bundle step, a package upgrade) is never loaded: it would run old workflows.
 */
export function workflowInputsHash(): string {
  const hash = createHash('sha256');
  for (const dir of COMPILED_INPUT_DIRS) {
    for (const file of jsFilesUnder(dir)) {
      hash.update(path.relative(PROJECT_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  for (const name of INPUT_PACKAGES) hash.update(`${name}@${packageVersion(name)}\0`);
  return hash.digest('hex');
}

function readManifest(): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(MANIFEST_FILE, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/**
 * The prebuilt bundle when this process runs compiled code and the bundle matches it; otherwise the
 * workflows are bundled from source at start (tests run the TypeScript sources, which have no bundle).
 */
export function workflowCodeSource(compiled = __filename.endsWith('.js')): WorkflowCodeSource {
  if (!compiled) return { kind: 'source', reason: 'not compiled' };
  const manifest = readManifest();
  if (manifest === undefined) return { kind: 'source', reason: 'no prebuilt bundle' };
  if (manifest.inputsHash !== workflowInputsHash()) return { kind: 'source', reason: 'prebuilt bundle is stale' };
  return { kind: 'prebuilt', codePath: BUNDLE_FILE };
}

/**
 * Bundles the compiled workflows into `dist/workflow-bundle/`, unless the bundle there already matches
 * them. The manifest is written last, so an interrupted build leaves no bundle that claims to be fresh.
 * Returns whether it bundled.
 */
export async function writeWorkflowBundle(): Promise<boolean> {
  const inputsHash = workflowInputsHash();
  if (readManifest()?.inputsHash === inputsHash) return false;
  const { code } = await bundleWorkflowCode({
    workflowsPath: COMPILED_WORKFLOWS_PATH,
    logger: new DefaultLogger('WARN'),
  });
  mkdirSync(WORKFLOW_BUNDLE_DIR, { recursive: true });
  const scratch = `${BUNDLE_FILE}.${process.pid}`;
  writeFileSync(scratch, code);
  renameSync(scratch, BUNDLE_FILE);
  const manifest: Manifest = { inputsHash };
  writeFileSync(MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);
  return true;
}
