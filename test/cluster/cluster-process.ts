import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a compiled cluster script (`up` or `down`, built by `npm run test:cluster`) as its own process,
 * as `npm run cluster:up` would, with `env` added to this process's environment, and resolves once it
 * has exited.
 */
export function runClusterScript(
  script: 'up' | 'down',
  options: { args?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'dist', 'src', 'cluster', `${script}.js`), ...(options.args ?? [])],
      {
        cwd: ROOT,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Progress of a long first start (the Temporal server build) stays visible.
      process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The MCP URLs and the Temporal address of a `Ready:` or `Already running:` line. */
export function parseEndpoints(stdout: string): { mcpUrls: string[]; temporalAddress: string } {
  const match = /^(?:Ready|Already running): mcp=(\S+) temporal=(\S+)$/m.exec(stdout);
  if (!match) throw new Error(`cluster:up printed no endpoints:\n${stdout}`);
  return { mcpUrls: match[1]!.split(','), temporalAddress: match[2]! };
}
