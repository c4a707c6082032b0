import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await Promise.all([globalThis.__TEMPORAL_DEV_SERVER__?.stop(), globalThis.__POSTGRES__?.stop()]);
  if (process.env.TEST_POSTGRES_DIR) rmSync(process.env.TEST_POSTGRES_DIR, { recursive: true, force: true });
}
