import { randomUUID } from 'node:crypto';
import type { RunningProduct } from '../../src/app';
import { TemporalSessionEndings } from '../../src/temporal/session-endings';
import { recordDescribes } from '../helpers/describe-spy';
import { startTestProduct, testConfig } from '../helpers/product';

/** Ended sessions as every replica sees them, against a real Temporal server. */
describe('TemporalSessionEndings', () => {
  let product: RunningProduct;
  let taskQueue: string;

  beforeAll(async () => {
    const config = testConfig();
    taskQueue = config.taskQueue;
    product = await startTestProduct(config, { worker: false });
  });

  afterAll(async () => {
    await product?.close();
  });

  /** Counts the `describe()`s of end records and of the endings counters. */
  function countDescribes(): { records: () => number; counters: () => number; restore: () => void } {
    const { described, restore } = recordDescribes(product.client);
    return {
      records: () => described.filter((id) => id.startsWith('mcp-session-ended/')).length,
      counters: () => described.filter((id) => id.startsWith('mcp-session-endings/')).length,
      restore,
    };
  }

  it('sees an end recorded by another replica, and checks the open sessions with a shared look meanwhile', async () => {
    const here = new TemporalSessionEndings({ client: product.client, taskQueue });
    const elsewhere = new TemporalSessionEndings({ client: product.client, taskQueue });
    const sessions = Array.from({ length: 5 }, () => randomUUID());
    const describes = countDescribes();
    try {
      // First checks: each session's record is looked up once.
      for (const session of sessions) expect((await here.checkEnded(session)).ended).toBe(false);
      expect(describes.records()).toBe(sessions.length);
      // Later checks while nothing ended: the counters answer for every session, no record is read.
      const recordsBefore = describes.records();
      const countersBefore = describes.counters();
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(sessions.map((session) => here.checkEnded(session)));
        expect(answers.map((answer) => answer.ended)).toEqual(sessions.map(() => false));
      }
      expect(describes.records()).toBe(recordsBefore);
      // Three rounds of five checks: at most two counters per shared look, a look per round at most.
      expect(describes.counters() - countersBefore).toBeLessThanOrEqual(6);

      // Another replica ends one session: once a new look sees the counter move, it is found ended.
      await elsewhere.end(sessions[0]!, Date.now() + 3_600_000);
      const endRecordedAt = performance.now();
      let answer = await here.checkEnded(sessions[0]!);
      while (!answer.ended) {
        // An open answer may only come from a look taken before the end was recorded.
        expect(answer.asOf).toBeLessThan(endRecordedAt);
        await new Promise(setImmediate);
        answer = await here.checkEnded(sessions[0]!);
      }
      // The other sessions are still open (each record read once more, as the counter moved).
      for (const session of sessions.slice(1)) expect((await here.checkEnded(session)).ended).toBe(false);
      expect((await elsewhere.checkEnded(sessions[0]!)).ended).toBe(true);
      // A third replica, starting afresh, sees it too.
      expect(
        (await new TemporalSessionEndings({ client: product.client, taskQueue }).checkEnded(sessions[0]!)).ended,
      ).toBe(true);
    } finally {
      describes.restore();
    }
  });

  it("reads only this hour's counter mid-hour, and the neighbouring hour's too near either end", async () => {
    const hour = 3_600_000;
    const base = Math.floor(Date.now() / hour) * hour + 100 * hour;
    const lookAt = async (now: number): Promise<number> => {
      const describes = countDescribes();
      try {
        const endings = new TemporalSessionEndings({ client: product.client, taskQueue, now: () => now });
        expect((await endings.checkEnded(randomUUID())).ended).toBe(false);
        return describes.counters();
      } finally {
        describes.restore();
      }
    };
    expect(await lookAt(base + 30 * 60_000)).toBe(1);
    expect(await lookAt(base + 60_000)).toBe(2);
    expect(await lookAt(base + 58 * 60_000)).toBe(2);
  });

  it.each([
    ['lags into the last hour', 200, 2_000, -1_000],
    ['leads into the next hour', 300, -2_000, 1_000],
  ])('sees an end counted by a replica whose clock %s', async (_, hours, offsetHere, offsetThere) => {
    const hour = 3_600_000;
    const base = Math.floor(Date.now() / hour) * hour + hours * hour;
    const session = randomUUID();
    let clockHere = base + offsetHere;
    const here = new TemporalSessionEndings({ client: product.client, taskQueue, now: () => clockHere });
    // Found open from a look of this replica's, then the other replica counts an end in another hour.
    expect((await here.checkEnded(session)).ended).toBe(false);
    const elsewhere = new TemporalSessionEndings({ client: product.client, taskQueue, now: () => base + offsetThere });
    await elsewhere.end(session, Date.now() + hour);
    clockHere += 500;
    let answer = await here.checkEnded(session);
    const deadline = performance.now() + 10_000;
    while (!answer.ended && performance.now() < deadline) {
      await new Promise(setImmediate);
      answer = await here.checkEnded(session);
    }
    expect(answer.ended).toBe(true);
  });
});
