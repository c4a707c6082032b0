import type { InputRequest, InputResponse } from '../../common/elicitation';
import type { TaskOutcome, TaskView, TaskWithOutcome } from '../tasks/task-backend';
import { ModernErrorCode } from './wire';

/**
 * The extension's `Task` fields, flat, as both `CreateTaskResult` and `tasks/get` carry them.
 * `ttlMs` is counted from creation; the engine never keeps a task without a bound, so it is never null.
 */
export function taskFields(task: TaskView, status: TaskView['status'] = task.status): Record<string, unknown> {
  return {
    taskId: task.taskId,
    status,
    ...(task.statusMessage !== undefined && { statusMessage: task.statusMessage }),
    createdAt: task.createdAt,
    lastUpdatedAt: task.lastUpdatedAt,
    ttlMs: task.ttl,
    pollIntervalMs: task.pollInterval,
  };
}

/** `CreateTaskResult`: the task's fields and `resultType: "task"`, nothing else. */
export function createTaskResult(task: TaskView): Record<string, unknown> {
  return { resultType: 'task', ...taskFields(task) };
}

/**
 * `DetailedTask` for `tasks/get`. The status is derived from the outcome, as this revision defines
 * it: a tool's result (an `isError` one too) is `completed` with the result inlined; an end without a
 * tool result is `failed` with a JSON-RPC `error`; a waiting task lists its outstanding questions.
 */
export function detailedTask({ task, outcome }: TaskWithOutcome): Record<string, unknown> {
  if (outcome) return { ...taskFields(task, statusOf(outcome)), ...inlined(outcome) };
  if (task.status === 'input_required' && task.pendingInputs?.length) {
    return { ...taskFields(task), inputRequests: inputRequests(task.pendingInputs) };
  }
  return taskFields(task);
}

function statusOf(outcome: TaskOutcome): TaskView['status'] {
  switch (outcome.kind) {
    case 'result':
      return 'completed';
    case 'failure':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
  }
}

function inlined(outcome: TaskOutcome): Record<string, unknown> {
  switch (outcome.kind) {
    case 'result':
      // The same bytes a synchronous call would have answered, `resultType` included.
      return { result: { ...outcome.result, resultType: 'complete' } };
    case 'failure':
      return { error: { code: ModernErrorCode.InternalError, message: outcome.message } };
    case 'cancelled':
      return {};
  }
}

/**
 * The outstanding questions as `InputRequests`. Each key is the question's own id: minted by the
 * workflow, stable across replays and never reused, as the extension requires of keys.
 */
export function inputRequests(questions: readonly InputRequest[]): Record<string, unknown> {
  return Object.fromEntries(questions.map((question) => [question.requestId, elicitationRequest(question)]));
}

/** One question as the bare `elicitation/create` request of an `InputRequests` map (form mode). */
export function elicitationRequest(question: Pick<InputRequest, 'message' | 'requestedSchema'>): {
  method: 'elicitation/create';
  params: Record<string, unknown>;
} {
  return {
    method: 'elicitation/create',
    params: { mode: 'form', message: question.message, requestedSchema: question.requestedSchema },
  };
}

/** An `ElicitResult` as the engine's answer to `requestId`, or a sentence saying why it is not one. */
export function toInputResponse(requestId: string, value: unknown): InputResponse | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the answer must be an object';
  const { action, content } = value as { action?: unknown; content?: unknown };
  if (action !== 'accept' && action !== 'decline' && action !== 'cancel') {
    return 'action must be "accept", "decline" or "cancel"';
  }
  if (content !== undefined && (typeof content !== 'object' || content === null || Array.isArray(content))) {
    return 'content must be an object';
  }
  return {
    requestId,
    action,
    ...(content !== undefined && { content: content as InputResponse['content'] & object }),
  };
}
