/**
 * The committed replay histories: where they live, how they are named, and how to read them. Shared by
 * the recorder (`npm run histories:record`) and the replay test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { PROJECT_ROOT } from '../../src/temporal/cli-path';

type History = temporal.api.history.v1.IHistory;
const EventType = temporal.api.enums.v1.EventType;

/** Where the fixtures are committed; from both the sources and the compiled `dist/`. */
export const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test', 'workflows', 'histories');

/** One committed history: `<workflowType>-<path>.json`. */
export interface HistoryFile {
  /** File name without `.json`, e.g. `purgeDecisionsWorkflow-waiting-for-answer`. */
  name: string;
  workflowType: string;
  history: History;
}

/** Every committed history, sorted by name. */
export function readHistoryFiles(dir: string = HISTORIES_DIR): HistoryFile[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
      return { name: file.slice(0, -'.json'.length), workflowType: workflowTypeOf(history), history };
    });
}

/** The workflow type a history belongs to, from its first event. */
export function workflowTypeOf(history: History): string {
  const name = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (!name) throw new Error('The history does not start with WorkflowExecutionStarted');
  return name;
}

const CLOSE_EVENTS = new Set<temporal.api.enums.v1.EventType>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

/** Whether the history ends with the execution closed; a partial history of a running one does not. */
export function isClosed(history: History): boolean {
  const last = history.events?.at(-1)?.eventType;
  return last !== undefined && last !== null && CLOSE_EVENTS.has(last);
}

/**
 * Whether a running execution's history is at rest: no workflow task is scheduled or in flight, so the
 * history is the same whenever it is read (until the next signal, update, timer or activity result).
 */
export function isAtRest(history: History): boolean {
  const last = history.events?.at(-1)?.eventType;
  return last !== EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED && last !== EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
}
