import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type BundleOptions } from '@temporalio/worker';
import { PROJECT_ROOT } from './cli-path';

/** Where `zod` points inside the bundle, from both `src/` and the compiled `dist/src/`. */
const ZOD_PLACEHOLDER_PATH = require.resolve('../../workflows/zod-placeholder');

/**
 * How every bundle of the product's workflows is made (the prebuilt one, a worker's own, replays), for
 * the workflow module at `workflowsPath`:
 * - `zod` is the inert placeholder of `workflows/zod-placeholder.ts`, because the sandbox never
 *   validates and the real package rebuilt every tool's schemas for each execution.
 * - The workflow module and all it imports are preloaded: evaluated once per worker thread and shared
 *   by every execution, instead of evaluated again for each one (0.5–0.7 ms of the 5–6 ms a short
 *   task spends in the sandbox). This holds because those modules keep no state of an execution at
 *   module level, only constants, schemas and functions; the SDK freezes what they export, so a write
 *   to it throws.
 */
export function workflowBundlerOptions(
  workflowsPath: string,
): Required<Pick<BundleOptions, 'webpackConfigHook' | 'preloadModules'>> {
  return {
    webpackConfigHook: (config) => {
      const alias = config.resolve?.alias;
      if (Array.isArray(alias)) throw new Error('The workflow bundler gave its aliases as a list; expected an object');
      return { ...config, resolve: { ...config.resolve, alias: { ...alias, zod$: ZOD_PLACEHOLDER_PATH } } };
    },
    preloadModules: [workflowsPath],
  };
}

/**
 * Where `npm run build` writes the workflow bundle, so that a worker starts without bundling its
 * workflow code (webpack takes most of a worker's start: tens of seconds on a loaded machine).
 */
export function workflowBundleDir(root = PROJECT_ROOT): string {
  return path.join(root, 'dist', 'workflow-bundle');
}
const bundleFile = (root: string): string => path.join(workflowBundleDir(root), 'workflows.js');
const manifestFile = (root: string): string => path.join(workflowBundleDir(root), 'manifest.json');

/** The compiled code the bundle is made of: the workflows, what they import from `common/`, and the packages they use. */
const COMPILED_INPUT_DIRS = [path.join('dist', 'workflows'), path.join('dist', 'common')];
const INPUT_PACKAGES = ['@temporalio/workflow', '@temporalio/common', '@temporalio/worker', 'nexus-rpc', 'zod'];

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

function packageVersion(root: string, name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return manifest.version ?? 'unknown';
  } catch {
    return 'missing';
  }
}

/**
 * A hash of everything the bundle is built from: the compiled code, the packages, and this module,
 * which says how it is bundled. A bundle whose hash differs (a `tsc` run without the bundle step, a
 * package upgrade, new bundler options) is never loaded: it would run old workflows, or run them as
 * they were bundled before.
 */
export function workflowInputsHash(root = PROJECT_ROOT): string {
  const hash = createHash('sha256');
  for (const dir of COMPILED_INPUT_DIRS) {
    for (const file of jsFilesUnder(path.join(root, dir))) {
      hash.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  for (const name of INPUT_PACKAGES) hash.update(`${name}@${packageVersion(root, name)}\0`);
  hash.update(readFileSync(__filename));
  return hash.digest('hex');
}

function readManifest(root: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(manifestFile(root), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/**
 * The prebuilt bundle when this process runs compiled code and the bundle matches it; otherwise the
 * workflows are bundled from source at start (tests run the TypeScript sources, which have no bundle).
 */
export function workflowCodeSource(compiled = __filename.endsWith('.js'), root = PROJECT_ROOT): WorkflowCodeSource {
  if (!compiled) return { kind: 'source', reason: 'not compiled' };
  const manifest = readManifest(root);
  if (manifest === undefined) return { kind: 'source', reason: 'no prebuilt bundle' };
  if (manifest.inputsHash !== workflowInputsHash(root)) return { kind: 'source', reason: 'prebuilt bundle is stale' };
  return { kind: 'prebuilt', codePath: bundleFile(root) };
}

/**
 * Bundles the compiled workflows into `dist/workflow-bundle/`, unless the bundle there already matches
 * them. The manifest is written last, so an interrupted build leaves no bundle that claims to be fresh.
 * Returns whether it bundled.
 */
export async function writeWorkflowBundle(root = PROJECT_ROOT): Promise<boolean> {
  const inputsHash = workflowInputsHash(root);
  if (readManifest(root)?.inputsHash === inputsHash) return false;
  // The compiled workflow barrel.
  const workflowsPath = path.join(root, 'dist', 'workflows', 'index.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: new DefaultLogger('WARN'),
    ...workflowBundlerOptions(workflowsPath),
  });
  mkdirSync(workflowBundleDir(root), { recursive: true });
  const scratch = `${bundleFile(root)}.${process.pid}`;
  writeFileSync(scratch, code);
  renameSync(scratch, bundleFile(root));
  const manifest: Manifest = { inputsHash };
  writeFileSync(manifestFile(root), `${JSON.stringify(manifest, null, 2)}\n`);
  return true;
}
