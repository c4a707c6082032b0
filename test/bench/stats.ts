import { setTimeout as sleep } from 'node:timers/promises';

/** Small helpers to time operations and print the benchmark's tables. */

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Times `fn` `n` times in a row; the milliseconds of each run. */
export async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(await timed(() => fn(i)));
  return times;
}

/** How long `fn` took, in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Runs each of `fns` `n` times, taking turns (one run of each, then again), so that a machine whose
 * load drifts during the measurement weighs on every system alike; each fn answers how long its run
 * took (see {@link timed}). The milliseconds of each run, per fn.
 * With `settleMs`, each run starts that long after the one before ended: the server's work after a
 * workflow closes (its visibility record, the worker's eviction) goes on for tens of milliseconds,
 * and without the pause it lands in whichever system's run comes next.
 */
export async function timeTakingTurns(
  n: number,
  fns: Array<() => Promise<number>>,
  { settleMs = 0 }: { settleMs?: number } = {},
): Promise<number[][]> {
  const times = fns.map((): number[] => []);
  for (let i = 0; i < n; i++) {
    for (const [which, fn] of fns.entries()) {
      if (settleMs > 0) await sleep(settleMs);
      times[which]!.push(await fn());
    }
  }
  return times;
}

/** Runs `total` operations over `concurrency` loops; each operation's time and the operations per second. */
export async function throughput(
  concurrency: number,
  total: number,
  fn: (loop: number, i: number) => Promise<unknown>,
): Promise<{ times: number[]; perSecond: number }> {
  const times: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        await fn(loop, i);
        times.push(performance.now() - t);
      }
    }),
  );
  return { times, perSecond: total / ((performance.now() - start) / 1000) };
}

export function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** A table row: p50/p95 of each system, and the product's p50 over the baseline's. */
export function latencyRow(label: string, product: number[], raw: number[], memory?: number[]): string {
  const cells = [product, raw, memory].map((values) =>
    values ? `${ms(percentile(values, 50))} / ${ms(percentile(values, 95))}` : '–',
  );
  const ratio = percentile(product, 50) / percentile(raw, 50);
  return `| ${label} | ${product.length} | ${cells.join(' | ')} | ${ratio.toFixed(2)}× |`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
