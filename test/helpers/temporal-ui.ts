import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startProduct, type RunningProduct } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/ops/logger';
import { scopeKey, workflowIdFor, type TaskId } from '../../src/tasks/owner';
import { callToolAsTask, cancelTask, connectMcp, waitForTask } from './mcp-client';
import { freePort } from './ports';
import { makeDataDir } from './product';

/** Debian's chromium (`scripts/setup.sh` installs it); Playwright's own browser downloads are not used. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** How long the UI may take to show something: its first page load on a busy machine is slow. */
const UI_TIMEOUT_MS = 90_000;

/** A headless Debian chromium. As root, chromium runs only without its sandbox. */
export function launchChromium(): Promise<Browser> {
  const asRoot = process.getuid?.() === 0;
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: asRoot ? ['--no-sandbox'] : [] });
}

/**
 * The product as `npm start` runs it: the embedded Temporal dev server WITH its web UI, a worker and
 * the MCP server, on free ports and a fresh data directory.
 */
export async function startProductWithUi(): Promise<RunningProduct & { temporalUiUrl: string }> {
  const config = loadConfig({
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TASK_QUEUE: `ui-${randomUUID()}`,
    MCP_PORT: '0',
    DATA_DIR: makeDataDir(),
    MCP_SESSION_SECRET: 'ui-secret-0123456789abcdef',
    AUDIT_LOG: 'off',
  });
  const product = await startProduct(config, {
    worker: true,
    http: true,
    logger: createLogger({ LOG_LEVEL: 'WARN' }),
  });
  const { temporalUiUrl } = product;
  if (temporalUiUrl === undefined) {
    await product.close();
    throw new Error('The embedded Temporal server started without its UI');
  }
  return Object.assign(product, { temporalUiUrl });
}

/** The address of a workflow's page in the Temporal UI (2.x). */
export function workflowPageUrl(uiUrl: string, workflowId: string, namespace = 'default'): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** What the UI's "User Metadata" tab showed of a workflow. */
export interface UserMetadataSeen {
  summary: string;
  currentDetails: string;
}

/**
 * Opens the workflow's page as an operator would (found by its workflow id), switches to the "User
 * Metadata" tab, and waits until its Summary shows `summary` and its Current Details show text
 * matching `currentDetails`. The UI renders each as Markdown in a frame of its own. Fails after
 * {@link UI_TIMEOUT_MS} with what it was waiting for.
 */
export async function showUserMetadata(
  page: Page,
  uiUrl: string,
  workflowId: string,
  expected: { summary: string; currentDetails: RegExp },
): Promise<UserMetadataSeen> {
  await page.goto(workflowPageUrl(uiUrl, workflowId), { timeout: UI_TIMEOUT_MS });
  await page.getByText(workflowId, { exact: true }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await page.getByRole('tab', { name: 'User Metadata' }).click({ timeout: UI_TIMEOUT_MS });
  const summary = page.frameLocator('#user-metadata-summary').getByText(expected.summary, { exact: true });
  await summary.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  const details = page.frameLocator('#user-metadata-current-details').locator('body');
  const progress = page.frameLocator('#user-metadata-current-details').getByText(expected.currentDetails);
  await progress.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  return { summary: await summary.innerText(), currentDetails: await details.innerText() };
}

/** What {@link captureRunningTask} started and what the UI showed of it. */
export interface CapturedTask extends UserMetadataSeen {
  workflowId: string;
  expectedSummary: string;
}

/**
 * The UI's story of one task: starts a `long_running_operation` of many steps over MCP, waits until
 * the workflow's current details report its progress (the UI reads them when the page loads), shows
 * the task's page, saves a screenshot of it as `screenshotPath` (PNG), then cancels the task.
 */
export async function captureRunningTask(
  product: RunningProduct & { temporalUiUrl: string },
  browser: Browser,
  screenshotPath: string,
): Promise<CapturedTask> {
  const mcp = await connectMcp(product.mcpUrl!);
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  try {
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 900, steps: 300 });
    try {
      const owner = { scope: `session:${mcp.sessionId()}` };
      const workflowId = workflowIdFor(owner, task.taskId as TaskId);
      await waitForProgress(product, workflowId);
      const expectedSummary = `long_running_operation · owner ${scopeKey(owner)} · MCP task ${task.taskId}`;
      const seen = await showUserMetadata(page, product.temporalUiUrl, workflowId, {
        summary: expectedSummary,
        // The UI typesets "3/300" with a fraction slash.
        currentDetails: /Progress:\s*Step \d+\S300/,
      });
      await page.screenshot({ path: screenshotPath });
      return { ...seen, workflowId, expectedSummary };
    } finally {
      await cancelTask(mcp.client, task.taskId);
      await waitForTask(mcp.client, task.taskId, (t) => t.status === 'cancelled');
    }
  } finally {
    await page.close();
    await mcp.close();
  }
}

/** Polls the workflow's current details (as the UI reads them) until they report progress. */
async function waitForProgress(product: RunningProduct, workflowId: string): Promise<void> {
  const handle = product.client.workflow.getHandle(workflowId);
  const deadline = Date.now() + UI_TIMEOUT_MS;
  for (;;) {
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    if (metadata.currentDetails?.includes('**Progress:**')) return;
    if (Date.now() > deadline) throw new Error(`No progress in the current details: ${metadata.currentDetails}`);
    await delay(200);
  }
}
