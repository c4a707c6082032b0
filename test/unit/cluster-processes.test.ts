import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  component,
  isLive,
  runningPid,
  spawnDetached,
  stopComponent,
  waitForExit,
  type Component,
} from '../../src/cluster/detached';

/** A Node process that logs `ready` once its SIGTERM handling is in place, then idles. */
function idleScript(onTerm: 'exit' | 'ignore'): string {
  const handler = onTerm === 'exit' ? '() => process.exit(0)' : '() => console.log("ignored SIGTERM")';
  return `process.on('SIGTERM', ${handler}); console.log('ready'); setInterval(() => {}, 1000);`;
}

async function waitForLog(target: Component, text: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(target.logFile) && readFileSync(target.logFile, 'utf8').includes(text))) {
    if (Date.now() > deadline) throw new Error(`${target.name} did not log "${text}" within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('detached cluster processes', () => {
  let dir: string;
  const started: number[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cluster-processes-'));
  });

  afterEach(() => {
    for (const pid of started.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function start(name: string, onTerm: 'exit' | 'ignore'): { target: Component; pid: number } {
    // The marker is this test's directory, which the command line names; no other process carries it.
    const target = component(dir, name, dir);
    const pid = spawnDetached(target, {
      command: process.execPath,
      args: ['-e', idleScript(onTerm), dir],
      env: { PATH: process.env.PATH },
      cwd: dir,
    });
    started.push(pid);
    return { target, pid };
  }

  it('runs a component in the background with a pid file and its output in its log', async () => {
    const { target, pid } = start('quiet', 'exit');
    await waitForLog(target, 'ready');
    expect(readFileSync(target.pidFile, 'utf8').trim()).toBe(String(pid));
    expect(runningPid(target)).toBe(pid);
    expect(readFileSync(target.logFile, 'utf8')).toMatch(/--- \S+ starting quiet\nready\n/);
  });

  it('stops a component with SIGTERM and removes its pid file', async () => {
    const { target, pid } = start('polite', 'exit');
    await waitForLog(target, 'ready');
    expect(await stopComponent(target, 10_000)).toBe('stopped');
    expect(isLive(pid, target.marker)).toBe(false);
    expect(existsSync(target.pidFile)).toBe(false);
    expect(runningPid(target)).toBeUndefined();
  });

  it('kills a component that ignores SIGTERM once the grace period is over', async () => {
    const { target, pid } = start('stubborn', 'ignore');
    await waitForLog(target, 'ready');
    const began = Date.now();
    expect(await stopComponent(target, 500)).toBe('killed');
    expect(Date.now() - began).toBeGreaterThanOrEqual(500);
    expect(readFileSync(target.logFile, 'utf8')).toContain('ignored SIGTERM');
    expect(await waitForExit(pid, target.marker, 5000)).toBe(true);
  });

  it('reports a component that is not running as such', async () => {
    const target = component(dir, 'absent', dir);
    expect(runningPid(target)).toBeUndefined();
    expect(await stopComponent(target, 500)).toBe('not running');
  });

  it('does not take a recycled pid for the component: the command line must carry its marker', async () => {
    const { target, pid } = start('marked', 'exit');
    await waitForLog(target, 'ready');
    const impostor = component(dir, 'impostor', path.join(dir, 'another-marker'));
    writeFileSync(impostor.pidFile, `${pid}\n`);
    expect(runningPid(impostor)).toBeUndefined();
    expect(await stopComponent(impostor, 500)).toBe('not running');
    // The process behind the borrowed pid was left alone.
    expect(runningPid(target)).toBe(pid);
  });

  it('ignores a pid file left by a process that has exited', async () => {
    const { target, pid } = start('gone', 'exit');
    await waitForLog(target, 'ready');
    process.kill(pid, 'SIGKILL');
    expect(await waitForExit(pid, target.marker, 5000)).toBe(true);
    expect(existsSync(target.pidFile)).toBe(true);
    expect(runningPid(target)).toBeUndefined();
  });

  it('waits after a SIGKILL until the process has let go of its port, so that a restart can take it at once', async () => {
    // Exiting, a process loses its command line before it closes its sockets: a port freed only then
    // made a restart right after the kill find its port taken. A process with much memory to release
    // widens that window, so the listener allocates some before it listens.
    for (let round = 0; round < 5; round++) {
      const target = component(dir, `listener-${round}`, dir);
      const script =
        "const keep = Array.from({ length: 64 }, () => Buffer.alloc(4 << 20, 1)); require('net').createServer()" +
        ".listen({ host: '127.0.0.1', port: 0 }, function () { console.log('port=' + this.address().port, keep.length); });" +
        ' setInterval(() => {}, 1000);';
      const pid = spawnDetached(target, {
        command: process.execPath,
        args: ['-e', script, dir],
        env: { PATH: process.env.PATH },
        cwd: dir,
      });
      started.push(pid);
      await waitForLog(target, 'port=');
      const port = Number(/port=(\d+)/.exec(readFileSync(target.logFile, 'utf8'))![1]);
      process.kill(pid, 'SIGKILL');
      expect(await waitForExit(pid, target.marker, 10_000)).toBe(true);
      const probe = createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen({ host: '127.0.0.1', port, exclusive: true }, resolve);
      });
      await new Promise((resolve) => probe.close(resolve));
    }
  });
});
