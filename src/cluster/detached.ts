import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process of the cluster that outlives `cluster:up`: its pid file and its log. */
export interface Component {
  /** Short name, also the pid file's and the log's name (`mcp-a`, `worker-1`, `temporal`). */
  name: string;
  pidFile: string;
  logFile: string;
  /** A string its command line contains, so that a recycled pid is not taken for it. */
  marker: string;
}

/** The component `name` of the cluster whose files live under `clusterDir`. */
export function component(clusterDir: string, name: string, marker: string): Component {
  return {
    name,
    pidFile: path.join(clusterDir, 'run', `${name}.pid`),
    logFile: path.join(clusterDir, 'logs', `${name}.log`),
    marker,
  };
}

export interface SpawnDetachedOptions {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * Starts `component` in its own process group with its output appended to its log, writes its pid
 * file and returns the pid. The process keeps running after this one exits.
 */
export function spawnDetached(target: Component, options: SpawnDetachedOptions): number {
  mkdirSync(path.dirname(target.pidFile), { recursive: true });
  mkdirSync(path.dirname(target.logFile), { recursive: true });
  const log = openSync(target.logFile, 'a');
  try {
    writeFileSync(log, `\n--- ${new Date().toISOString()} starting ${target.name}\n`);
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    if (child.pid === undefined) throw new Error(`${target.name} could not be started (${options.command})`);
    child.unref();
    writeFileSync(target.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** Whether `pid` is a live process (not a zombie) whose command line contains `marker`. */
export function isLive(pid: number, marker: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself contain spaces.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/** The pid of `target` when it is running, else undefined (a stale pid file is ignored). */
export function runningPid(target: Component): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(target.pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && isLive(pid, target.marker) ? pid : undefined;
}

/**
 * Whether `pid` still holds what it had open: live with `marker`, or exiting. A dying process loses its
 * command line (its memory is released first) before it closes its files and sockets, so an empty
 * command line still holds its ports. In a process with threads (Node, Go) the main thread may already
 * be a zombie while the others still run their exit, holding the shared file table: only when every
 * thread is a zombie, or gone, has it let go of everything.
 */
function holdsResources(pid: number, marker: string): boolean {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  const running = threads.some((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
    } catch {
      return false;
    }
  });
  if (!running) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline === '' || cmdline.includes(marker);
  } catch {
    return false;
  }
}

/**
 * Waits until `pid` has exited and closed its files and sockets (so that its ports can be taken again
 * at once); false when it still runs after `timeoutMs`.
 */
export async function waitForExit(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (holdsResources(pid, marker)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Stops `target` if it runs: SIGTERM, then SIGKILL when it has not exited after `graceMs`. Removes its
 * pid file. Resolves with what it took, for the report.
 */
export async function stopComponent(target: Component, graceMs: number): Promise<'not running' | 'stopped' | 'killed'> {
  const pid = runningPid(target);
  let outcome: 'not running' | 'stopped' | 'killed' = 'not running';
  if (pid !== undefined) {
    signal(pid, 'SIGTERM');
    outcome = 'stopped';
    if (!(await waitForExit(pid, target.marker, graceMs))) {
      signal(pid, 'SIGKILL');
      outcome = 'killed';
      await waitForExit(pid, target.marker, 10_000);
    }
  }
  rmSync(target.pidFile, { force: true });
  return outcome;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    // It exited between the check and the signal.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** The last `chars` characters of a log, to explain a component that failed to start. */
export function logTail(file: string, chars = 3000): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars).trim() || '(empty)';
  } catch {
    return '(no log)';
  }
}
