import { activityInfo, sleep } from '@temporalio/activity';
import { reportProgress } from '../common/progress-report';
import { reportCancellation } from '../common/activity-context';
import type { HeartbeatDetails, ProgressDetails } from '../../common/task-types';
import type { ActivityObserver } from '../observer';
import type { ToolActivityDeps } from '../activity-deps';
import type { LongRunningOperationActivities } from '../../workflows/tools/long-running-operation';

/** Longest pause between two heartbeats, so that a cancellation is noticed within about a second. */
const MAX_SLEEP_SLICE_MS = 1000;

/**
 * Sleeps `durationSeconds / steps` per step, heartbeating progress at least every second. After a
 * worker crash the retry resumes at the last step heartbeated. Cancellation arrives through the
 * heartbeat: the activity then stops at once and reports it to the observer.
 */
export function createRunTimedSteps(observer: ActivityObserver): LongRunningOperationActivities['runTimedSteps'] {
  return async function runTimedSteps(options) {
    const { durationSeconds, steps } = options;
    const info = activityInfo();
    const resumed = (info.heartbeatDetails as HeartbeatDetails | undefined)?.progress;
    const stepMs = (durationSeconds * 1000) / steps;
    let progress: ProgressDetails = {
      current: resumed?.current ?? 0,
      total: steps,
      message: `Step ${resumed?.current ?? 0}/${steps}`,
    };
    // A heartbeat is a call to Temporal that the activity's completion waits for, so work that does
    // not sleep sends none at its start, and no step sends one after the last: its completion says it.
    if (stepMs > 0 && progress.current < steps) reportProgress({ progress } satisfies HeartbeatDetails);
    return reportCancellation(
      observer,
      () => progress,
      async () => {
        for (let step = progress.current + 1; step <= steps; step++) {
          let remaining = stepMs;
          while (remaining > 0) {
            const slice = Math.min(remaining, MAX_SLEEP_SLICE_MS);
            await sleep(slice);
            remaining -= slice;
            if (remaining > 0) reportProgress({ progress } satisfies HeartbeatDetails);
          }
          progress = { current: step, total: steps, message: `Step ${step}/${steps}` };
          if (step < steps) reportProgress({ progress } satisfies HeartbeatDetails);
        }
        return { stepsRun: steps };
      },
    );
  };
}

/** The activities of `long_running_operation` (see activities/create-activities.ts). */
export const createToolActivities = ((deps) => ({
  runTimedSteps: createRunTimedSteps(deps.observer),
})) satisfies (deps: ToolActivityDeps) => LongRunningOperationActivities;
