import { readFileSync } from 'node:fs';
import { startTestProduct, testConfig } from '../helpers/product';

describe('test output', () => {
  it("sends the Temporal runtime's log (workflow bundling, worker states) to the run's log file, not the console", async () => {
    const logFile = process.env.TEST_TEMPORAL_LOG;
    if (!logFile) throw new Error('TEST_TEMPORAL_LOG is not set: the jest global setup did not run');
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const config = testConfig();
    try {
      const product = await startTestProduct(config, { http: false });
      await product.close();
    } finally {
      spy.mockRestore();
    }
    const ours = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes(config.taskQueue));
    expect(ours.some((line) => line.includes('[INFO] Workflow bundle created'))).toBe(true);
    expect(ours.some((line) => line.includes("state: 'STOPPED'"))).toBe(true);
    expect(written.join('')).not.toContain(config.taskQueue);
  });
});
