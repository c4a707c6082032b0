import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { errorMessage } from '../../common/error-message';

/** Whether the process can do its work now, and why not. */
export type Readiness = { ready: true } | { ready: false; reason: string };

/** One condition of readiness. */
export type ReadinessCheck = () => Promise<Readiness>;

/** How long `/readyz` waits for Temporal before it answers not ready. */
export const TEMPORAL_CHECK_TIMEOUT_MS = 2000;

/** Temporal answers a cheap call (`GetSystemInfo`) within `timeoutMs`. */
export function temporalReachable(client: Client, timeoutMs = TEMPORAL_CHECK_TIMEOUT_MS): ReadinessCheck {
  return async () => {
    try {
      await client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
      return { ready: true };
    } catch (err) {
      return { ready: false, reason: `Temporal is not reachable: ${errorMessage(err)}` };
    }
  };
}

/** The worker runs and both its pollers poll its task queue. */
export function workerPolling(worker: Worker): ReadinessCheck {
  return () => {
    const status = worker.getStatus();
    if (status.runState !== 'RUNNING') {
      return Promise.resolve({ ready: false, reason: `The worker is ${status.runState.toLowerCase()}` });
    }
    const pollers = { workflow: status.workflowPollerState, activity: status.activityPollerState };
    for (const [kind, state] of Object.entries(pollers)) {
      if (state !== 'POLLING') {
        return Promise.resolve({ ready: false, reason: `The worker's ${kind} poller is ${state.toLowerCase()}` });
      }
    }
    return Promise.resolve({ ready: true });
  };
}

/** Ready when every check is; the first failing check (in order) gives the reason. */
export function allOf(checks: ReadinessCheck[]): ReadinessCheck {
  return async () => {
    const outcomes = await Promise.all(checks.map((check) => check()));
    return outcomes.find((outcome) => !outcome.ready) ?? { ready: true };
  };
}

/** `/readyz`: 200 `{status: "ready"}`, or 503 `{status: "not ready", reason}`. */
export async function readinessResponse(check: ReadinessCheck): Promise<Response> {
  const outcome = await check();
  if (outcome.ready) return Response.json({ status: 'ready' });
  return Response.json({ status: 'not ready', reason: outcome.reason }, { status: 503 });
}
