import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Info } from '@temporalio/activity';
import { createRunTimedSteps } from '../../activities/tools/long-running-operation';
import type { HeartbeatDetails } from '../../common/task-types';
import type { TimedStepsOptions } from '../../workflows/tools/long-running-operation';

/** Runs `runTimedSteps` in a mock activity context and returns what it heartbeated, in order. */
async function runRecorded(
  options: TimedStepsOptions,
  info?: Partial<Info>,
): Promise<{ stepsRun: number; heartbeats: string[] }> {
  const env = new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
  const heartbeats: string[] = [];
  env.on('heartbeat', (details: unknown) => {
    heartbeats.push((details as HeartbeatDetails).progress.message ?? '');
  });
  const runTimedSteps = createRunTimedSteps({ onCancelled: () => undefined });
  const { stepsRun } = await env.run<[TimedStepsOptions], { stepsRun: number }, typeof runTimedSteps>(
    runTimedSteps,
    options,
  );
  return { stepsRun, heartbeats };
}

describe('runTimedSteps heartbeats', () => {
  it('sends no heartbeat for a task with no work: its completion need not wait for one', async () => {
    await expect(runRecorded({ durationSeconds: 0, steps: 1 })).resolves.toEqual({ stepsRun: 1, heartbeats: [] });
  });

  it('heartbeats each finished step except the last, which the completion itself reports', async () => {
    await expect(runRecorded({ durationSeconds: 0, steps: 3 })).resolves.toEqual({
      stepsRun: 3,
      heartbeats: ['Step 1/3', 'Step 2/3'],
    });
  });

  it('resumes after the last step heartbeated by an earlier attempt', async () => {
    const heartbeatDetails: HeartbeatDetails = { progress: { current: 2, total: 4, message: 'Step 2/4' } };
    await expect(runRecorded({ durationSeconds: 0, steps: 4 }, { heartbeatDetails })).resolves.toEqual({
      stepsRun: 4,
      heartbeats: ['Step 3/4'],
    });
  });

  it('heartbeats at the start of work that sleeps, and within a step longer than a second', async () => {
    await expect(runRecorded({ durationSeconds: 1.2, steps: 1 })).resolves.toEqual({
      stepsRun: 1,
      heartbeats: ['Step 0/1', 'Step 0/1'],
    });
  });
});
