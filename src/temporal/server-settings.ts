/**
 * Dynamic config of the Temporal servers the product runs itself: the embedded dev server and the
 * `cluster:up` server. Both have a single matching host.
 */
export const OWN_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, boolean | number | string>> = {
  // Task updates (answers to questions, tasks/cancel) go through workflow updates.
  'frontend.enableUpdateWorkflowExecution': true,
  // One partition per task queue. With the server's default of four, a workflow or activity task that
  // lands on a partition where no poll waits is first forwarded or written to the backlog: tens of
  // milliseconds on a task of ~100 ms, varying from run to run. Partitions spread a task queue over
  // matching hosts; with one host they add only that delay.
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

/** The same settings as `temporal server start-dev` arguments. */
export function devServerDynamicConfigArgs(): string[] {
  return Object.entries(OWN_SERVER_DYNAMIC_CONFIG).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);
}
