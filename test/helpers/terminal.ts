import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How often the screen is read while waiting for it to show something. */
const SCREEN_POLL_MS = 100;

/**
 * A program running in a real terminal: a tmux pane on a tmux server of its own (its own socket, so
 * nothing else's sessions are touched). The pane stays after the program exits, to read its screen
 * and its exit status.
 */
export class TmuxTerminal {
  private constructor(
    private readonly socket: string,
    private readonly statusFile: string,
  ) {}

  /** Starts `argv` in a `columns`×`rows` terminal with `env` added to this process's environment. */
  static async start(
    argv: readonly string[],
    options: { env?: NodeJS.ProcessEnv; columns?: number; rows?: number } = {},
  ): Promise<TmuxTerminal> {
    const statusFile = path.join(mkdtempSync(path.join(tmpdir(), 'mcp-tasks-terminal-')), 'exit-status');
    const terminal = new TmuxTerminal(`mcp-tasks-test-${randomUUID()}`, statusFile);
    // A shell writes the program's exit status to a file: tmux does not always learn it (it can see
    // the terminal close without reaping the process). The shell's trap keeps it alive through Ctrl-C
    // (the program, started from it, gets SIGINT with its default handling).
    const wrapped = ['sh', '-c', 'trap : INT; "$@"; echo "$?" > "$0"', statusFile, ...argv];
    // No user configuration: the pane's behaviour must not depend on who runs the tests. The pane is
    // kept before the program starts, so that even a program that exits at once leaves its status.
    const size = ['-x', String(options.columns ?? 120), '-y', String(options.rows ?? 30)];
    await terminal.tmux(
      ['-f', '/dev/null', 'set-option', '-g', 'remain-on-exit', 'on', ';', 'new-session', '-d', ...size, ...wrapped],
      { ...process.env, ...options.env },
    );
    return terminal;
  }

  /** What the terminal shows, scrollback included (tmux moves a dead pane's screen there), a line per row. */
  async screen(): Promise<string> {
    return this.tmux(['capture-pane', '-p', '-S', '-']);
  }

  /** The visible screen only, with its colours and attributes as ANSI escape sequences. */
  async screenWithColours(): Promise<string> {
    return this.tmux(['capture-pane', '-p', '-e']);
  }

  /**
   * Reads the screen until `predicate` holds and returns it; after `timeoutMs` fails with the last
   * screen seen.
   */
  async waitForScreen(predicate: (screen: string) => boolean, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = await this.screen();
    while (!predicate(screen)) {
      if (Date.now() > deadline) throw new Error(`The screen never showed what was expected. Last screen:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, SCREEN_POLL_MS));
      screen = await this.screen();
    }
    return screen;
  }

  /** Types `keys` as tmux names them (`Enter`, `C-c`, or literal text). */
  async sendKeys(...keys: string[]): Promise<void> {
    await this.tmux(['send-keys', ...keys]);
  }

  /** Waits for the program to exit and returns its exit status (128 + the signal's number after a signal). */
  async waitForExit(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = readStatus(this.statusFile);
      if (status !== undefined) return status;
      if (Date.now() > deadline) throw new Error(`The program did not exit. Last screen:\n${await this.screen()}`);
      await new Promise((resolve) => setTimeout(resolve, SCREEN_POLL_MS));
    }
  }

  /** Ends the tmux server of this terminal (and the program, if it still runs). */
  async close(): Promise<void> {
    await this.tmux(['kill-server']).catch(() => undefined);
  }

  private async tmux(args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, ...args], { env });
    return stdout;
  }
}

function readStatus(file: string): number | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return text === '' ? undefined : Number(text);
  } catch {
    return undefined;
  }
}
