/**
 * The raw Temporal baseline of the benchmark: what a tool's task costs with the Temporal client and
 * nothing else. Bundled for the benchmark's own worker, on a task queue of its own.
 */
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

export interface RawActivities {
  returnAtOnce(): Promise<string>;
}

const { returnAtOnce } = proxyActivities<RawActivities>({ startToCloseTimeout: '1 minute' });

/** The same shape of work as a task with no work: one activity that returns at once. */
export async function rawToolWorkflow(): Promise<{ content: { type: 'text'; text: string }[] }> {
  return { content: [{ type: 'text', text: await returnAtOnce() }] };
}

/** Ends at once (one workflow task): seeds finished tasks for the listing benchmark. */
export async function rawInstantWorkflow(): Promise<{ content: { type: 'text'; text: string }[] }> {
  return { content: [{ type: 'text', text: 'done' }] };
}

export const finishSignal = defineSignal('finish');

/** Runs until signalled: the raw counterpart of a running task. */
export async function rawWaitingWorkflow(): Promise<void> {
  let finished = false;
  setHandler(finishSignal, () => void (finished = true));
  await condition(() => finished);
}
