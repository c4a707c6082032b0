import type { InputAnswer, InputRequest } from './elicitation';

/**
 * Types shared by the MCP server, the workflows and the activities. This module is sandbox-safe: it
 * imports only types and does no I/O, so workflow code may import it.
 */

/** The five MCP task statuses. */
export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** Statuses after which a task never changes. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

export function isTerminalStatus(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** A content block of a tool result: MCP's content blocks (binary data as base64). */
export type ToolContent =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'audio'; data: string; mimeType: string }
  | { type: 'resource_link'; uri: string; name: string; mimeType?: string; description?: string }
  | { type: 'resource'; resource: EmbeddedResourceContents };

/** The contents of a resource embedded in a result: text, or binary as base64 `blob`. */
export type EmbeddedResourceContents =
  { uri: string; mimeType?: string; text: string } | { uri: string; mimeType?: string; blob: string };

/** A tool's outcome, shaped exactly like MCP's `CallToolResult`. Workflows return it. */
export interface ToolCallResult {
  content: ToolContent[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

/** What a running workflow reports through `taskStateQuery`. */
export interface LiveTaskState {
  status: 'working' | 'input_required';
  statusMessage?: string;
  /** ISO 8601 time of the last status change. */
  lastUpdatedAt: string;
  /**
   * The first outstanding question while `input_required`. The only one recorded by workflows that
   * ask one question at a time; kept beside {@link pendingInputs} for readers that know only it.
   */
  pendingInput?: InputRequest;
  /** Every outstanding question while `input_required`, in the order asked (absent in older states). */
  pendingInputs?: InputRequest[];
  /**
   * The task passed its point of no return (e.g. a confirmed deletion runs): it finishes its work even
   * if a cancel is requested now, and such a cancel is refused.
   */
  committed?: true;
}

/** The outstanding questions of a live state, whichever shape recorded them (a single one before). */
export function outstandingQuestions(state: Pick<LiveTaskState, 'pendingInput' | 'pendingInputs'>): InputRequest[] {
  if (state.pendingInputs) return state.pendingInputs;
  return state.pendingInput ? [state.pendingInput] : [];
}

/** The tenant of everything started without authentication: the product used as a local tool. */
export const LOCAL_TENANT = 'local';

/** The argument every tool workflow receives. */
export interface ToolWorkflowInput<Args> {
  /** The tool's arguments, already validated against its input schema. */
  arguments: Args;
  /**
   * Whose data the tool works on (the project memory is partitioned by it): the owner's tenant.
   * Absent in workflows started before tenants existed, which all belonged to {@link LOCAL_TENANT}.
   */
  tenant?: string;
  /**
   * Answers to the tool's questions before start (`questionsBeforeStart`), by question key, when the
   * client gave them before the task existed (2026-07-28). Absent otherwise: the workflow then asks
   * them itself (`answersBeforeStart` in workflows/task-lifecycle.ts).
   */
  answersBeforeStart?: Record<string, InputAnswer>;
}

/** Progress an activity reports through its heartbeat, shown as the task's `statusMessage`. */
export interface ProgressDetails {
  current: number;
  total?: number;
  message?: string;
}

/**
 * Name of the signal by which a long activity tells its own workflow its progress, so that the
 * workflow's current details in the Temporal UI show it (see `taskProgressSignal`).
 */
export const TASK_PROGRESS_SIGNAL = 'taskProgress';

/**
 * What every activity passes to `heartbeat()`: progress for the MCP side to show, and an optional
 * checkpoint the activity resumes from after a retry.
 */
export interface HeartbeatDetails<Checkpoint = unknown> {
  progress: ProgressDetails;
  checkpoint?: Checkpoint;
}

/**
 * Failure types thrown as `ApplicationFailure.type` by activities and workflows. Only `type` and
 * `message` survive serialisation, so the MCP side maps on these names.
 */
export const TaskFailureType = {
  /** The tool ran and reported an error; the message is for the user. */
  ToolError: 'ToolError',
  /** A source path resolved outside the allowed roots. */
  AccessDenied: 'AccessDenied',
  /** A source file or URL does not exist. */
  SourceNotFound: 'SourceNotFound',
  /** A source exists but cannot be read or parsed as a whole. */
  SourceUnreadable: 'SourceUnreadable',
  /** Arguments that passed the schema but make no sense for the data. */
  InvalidInput: 'InvalidInput',
} as const;
export type TaskFailureType = (typeof TaskFailureType)[keyof typeof TaskFailureType];

/** Failure types that retrying cannot fix. */
export const NON_RETRYABLE_FAILURE_TYPES: string[] = Object.values(TaskFailureType);

/** Failures of a source that a retry may fix; their last attempt's message is still for the user. */
export const RetryableSourceFailureType = {
  /** The source answered with a temporary error (HTTP 429 or 5xx). */
  SourceTemporarilyUnavailable: 'SourceTemporarilyUnavailable',
  /** The source sent nothing for `SOURCE_STALL_TIMEOUT_SECONDS`. */
  SourceStalled: 'SourceStalled',
} as const;

/**
 * Failure types whose message is written for the client. Any other error (a bug, a database error) is
 * reported to the client as an internal error with a reference only, since its message may carry
 * internal details; the full error stays in the worker's log and the task's history.
 */
export const CLIENT_FACING_FAILURE_TYPES: ReadonlySet<string> = new Set([
  ...NON_RETRYABLE_FAILURE_TYPES,
  ...Object.values(RetryableSourceFailureType),
]);

/** The failure type of an error the client sees only as "internal error (reference …)". */
export const INTERNAL_FAILURE_TYPE = 'InternalError';
