import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The project root (where package.json lives), from both `src/` and the compiled `dist/src/`. */
export const PROJECT_ROOT = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..',
);

/** Where `npm run setup` installs the Temporal CLI when none is found. */
export const PROJECT_LOCAL_CLI = path.join(PROJECT_ROOT, '.tools', 'bin', 'temporal');

/** Whether `file` exists and this process may execute it. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the Temporal CLI: `TEMPORAL_CLI_PATH`, then `temporal` on PATH, then the project-local
 * install under `.tools/`. Throws with the fix when there is none.
 */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_CLI_PATH) {
    if (!isExecutable(env.TEMPORAL_CLI_PATH))
      throw new Error(`TEMPORAL_CLI_PATH is not executable: ${env.TEMPORAL_CLI_PATH}`);
    return env.TEMPORAL_CLI_PATH;
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, 'temporal'))) return path.join(dir, 'temporal');
  }
  if (isExecutable(PROJECT_LOCAL_CLI)) return PROJECT_LOCAL_CLI;
  throw new Error('No Temporal CLI found: run `npm run setup` (installs it under .tools/), or set TEMPORAL_CLI_PATH');
}
