/**
 * `npm run docs:pictures`: regenerates the README's pictures from the real product.
 * - `docs/images/temporal-ui-task.png`: the Temporal UI's page of a running task (the same scenario as
 *   the browser test, `test/integration/temporal-ui-browser.test.ts`).
 * - `docs/images/cli-progress.png`: `mcp-tasks call long_running_operation …` in a tmux pane, captured
 *   mid-run with its colours and drawn as a dark terminal by the same chromium.
 * Needs a build (the script runs it) and what `scripts/setup.sh` installs (tmux, chromium).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AnsiToHtml from 'ansi-to-html';
import type { Browser } from 'playwright-core';
import type { RunningProduct } from '../../src/app';
import { installRuntime } from '../../src/runtime';
import { TmuxTerminal } from '../helpers/terminal';
import { captureRunningTask, launchChromium, startProductWithUi } from '../helpers/temporal-ui';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const IMAGES_DIR = path.join(REPO_ROOT, 'docs', 'images');
/** The compiled command, as `npx mcp-tasks` runs it. */
const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** The command shown (and run) in the terminal picture. */
const CLI_ARGS = ['call', 'long_running_operation', '--arg', 'duration=60', '--arg', 'steps=12'];

async function captureCliProgress(product: RunningProduct, browser: Browser, file: string): Promise<void> {
  const home = mkdtempSync(path.join(tmpdir(), 'mcp-tasks-pictures-'));
  const terminal = await TmuxTerminal.start([process.execPath, CLI, ...CLI_ARGS], {
    env: { MCP_URL: product.mcpUrl, MCP_TASKS_SESSIONS_FILE: path.join(home, 'sessions.json'), TERM: 'xterm-256color' },
    columns: 96,
    rows: 6,
  });
  try {
    // Mid-run: a few steps done, the bar part-way.
    await terminal.waitForScreen((screen) => /Step ([3-9]|1[01])\/12/.test(screen), 120_000);
    const screen = await terminal.screenWithColours();
    await terminal.sendKeys('C-c');
    await terminal.waitForExit();
    await renderTerminal(browser, `$ npx mcp-tasks ${CLI_ARGS.join(' ')}`, screen, file);
  } finally {
    await terminal.close();
  }
}

/** Draws `screen` (text with ANSI colours) below the `prompt` line as a dark terminal window, as a PNG. */
async function renderTerminal(browser: Browser, prompt: string, screen: string, file: string): Promise<void> {
  const toHtml = new AnsiToHtml({ fg: '#d8dee9', bg: '#1e2330', escapeXML: true });
  const lines = screen.replace(/\s+$/, '').split('\n');
  const body = [`<span class="prompt">${escapeHtml(prompt)}</span>`, ...lines.map((line) => toHtml.toHtml(line))];
  const page = await browser.newPage({ viewport: { width: 1000, height: 400 }, deviceScaleFactor: 2 });
  try {
    await page.setContent(`<!doctype html>
<html><head><style>
  body { margin: 0; padding: 24px; background: #ffffff; }
  .window { display: inline-block; border-radius: 8px; background: #1e2330; box-shadow: 0 4px 16px rgba(0,0,0,.25); }
  .bar { height: 28px; padding-left: 12px; display: flex; gap: 8px; align-items: center; }
  .bar i { width: 12px; height: 12px; border-radius: 50%; display: inline-block; }
  pre { margin: 0; padding: 8px 20px 20px; color: #d8dee9; font: 15px/1.4 'DejaVu Sans Mono', monospace; }
  .prompt { color: #a3be8c; }
</style></head><body><div class="window">
  <div class="bar"><i style="background:#ff5f56"></i><i style="background:#ffbd2e"></i><i style="background:#27c93f"></i></div>
  <pre>${body.join('\n')}</pre>
</div></body></html>`);
    await page.locator('.window').screenshot({ path: file });
  } finally {
    await page.close();
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

async function main(): Promise<void> {
  // Only what went wrong: worker state changes would bury the two lines this prints.
  installRuntime({ LOG_LEVEL: 'WARN' });
  mkdirSync(IMAGES_DIR, { recursive: true });
  const [product, browser] = await Promise.all([startProductWithUi(), launchChromium()]);
  try {
    const uiPicture = path.join(IMAGES_DIR, 'temporal-ui-task.png');
    await captureRunningTask(product, browser, uiPicture);
    process.stdout.write(`Wrote ${path.relative(REPO_ROOT, uiPicture)}\n`);
    const cliPicture = path.join(IMAGES_DIR, 'cli-progress.png');
    await captureCliProgress(product, browser, cliPicture);
    process.stdout.write(`Wrote ${path.relative(REPO_ROOT, cliPicture)}\n`);
  } finally {
    await browser.close();
    await product.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
