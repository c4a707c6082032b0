import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import type { RunningProduct } from '../../src/app';
import { captureRunningTask, launchChromium, startProductWithUi } from '../helpers/temporal-ui';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('the Temporal UI in a browser', () => {
  let product: (RunningProduct & { temporalUiUrl: string }) | undefined;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    await product?.close();
  });

  it("shows a running task's summary and current progress on its workflow's page", async () => {
    [product, browser] = await Promise.all([startProductWithUi(), launchChromium()]);
    // A temporary file: `npm run docs:pictures` regenerates the committed one.
    const screenshot = path.join(mkdtempSync(path.join(tmpdir(), 'mcp-tasks-ui-')), 'temporal-ui-task.png');

    const seen = await captureRunningTask(product, browser, screenshot);

    expect(seen.summary).toBe(seen.expectedSummary);
    expect(seen.currentDetails).toMatch(/MCP status: working\s+Progress: Step \d+\S300/);
    expect(readFileSync(screenshot).subarray(0, 8)).toEqual(PNG_SIGNATURE);
  }, 240_000);
});
