import { Context, heartbeat } from '@temporalio/activity';
import { errorMessage } from '../../common/error-message';
import { TASK_PROGRESS_SIGNAL, type HeartbeatDetails, type ProgressDetails } from '../../common/task-types';

/** Work shorter than this never signals: its progress would be gone from the UI before anyone looked. */
export const FIRST_PROGRESS_SIGNAL_AFTER_MS = 2000;
/** Shortest time between two progress signals of one activity attempt. */
export const MIN_PROGRESS_SIGNAL_INTERVAL_MS = 5000;
/**
 * The gap between signals grows to this fraction of the time the attempt has run, so that a day-long
 * activity adds under a hundred signals to its workflow's history rather than thousands.
 */
const INTERVAL_FRACTION_OF_RUN_TIME = 0.1;

/**
 * Decides when one activity attempt signals its progress: not in its first
 * {@link FIRST_PROGRESS_SIGNAL_AFTER_MS}, then at most once per {@link MIN_PROGRESS_SIGNAL_INTERVAL_MS}
 * or per a tenth of the time it has run, whichever is longer; never while the last signal is still
 * unanswered, and never for progress already sent.
 */
export class ProgressSignalThrottle {
  private nextAt: number;
  private lastSent: string | undefined;
  private inFlight = false;

  constructor(private readonly startedAt: number) {
    this.nextAt = startedAt + FIRST_PROGRESS_SIGNAL_AFTER_MS;
  }

  /** Whether to signal `progress` at `now`; if so, the signal counts as sent until {@link settled}. */
  take(now: number, progress: ProgressDetails): boolean {
    const serialised = JSON.stringify(progress);
    if (now < this.nextAt || this.inFlight || serialised === this.lastSent) return false;
    this.nextAt =
      now + Math.max(MIN_PROGRESS_SIGNAL_INTERVAL_MS, (now - this.startedAt) * INTERVAL_FRACTION_OF_RUN_TIME);
    this.lastSent = serialised;
    this.inFlight = true;
    return true;
  }

  /** The last signal was delivered or failed. */
  settled(): void {
    this.inFlight = false;
  }
}

/** Per activity attempt: an attempt's Context lives as long as the attempt. */
const throttles = new WeakMap<Context, ProgressSignalThrottle>();

/**
 * Heartbeats `details` (the MCP side reads progress and the checkpoint from there, unchanged), and now
 * and then also signals the progress to the activity's own workflow, whose current details in the
 * Temporal UI then show it while the work runs. The signals are throttled (none in the first
 * {@link FIRST_PROGRESS_SIGNAL_AFTER_MS}, then at most one per {@link MIN_PROGRESS_SIGNAL_INTERVAL_MS}
 * or a tenth of the run time, none while the last one is unanswered, none for unchanged progress) so
 * that the history stays small. A signal that fails is logged and never fails the activity.
 */
export function reportProgress<Checkpoint>(details: HeartbeatDetails<Checkpoint>): void {
  heartbeat(details);
  signalProgress(details.progress);
}

function signalProgress(progress: ProgressDetails): void {
  const context = Context.current();
  const execution = context.info.workflowExecution;
  if (execution === undefined) return;
  const now = Date.now();
  let throttle = throttles.get(context);
  if (throttle === undefined) {
    throttle = new ProgressSignalThrottle(now);
    throttles.set(context, throttle);
  }
  if (!throttle.take(now, progress)) return;
  const sent = throttle;
  // A copy: the caller may change its progress object while the signal is being serialised.
  const snapshot: ProgressDetails = { ...progress };
  void (async () => {
    try {
      const handle = context.client.workflow.getHandle(execution.workflowId, execution.runId);
      await handle.signal(TASK_PROGRESS_SIGNAL, snapshot);
    } catch (err) {
      // The workflow may have closed meanwhile, or the worker be shutting down; progress is only for show.
      context.log.debug('Could not signal progress to the workflow', { error: errorMessage(err) });
    } finally {
      sent.settled();
    }
  })();
}
