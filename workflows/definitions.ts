/**
 * Message and search-attribute definitions shared by the workflows and the MCP server. Importing this
 * module does not pull in any workflow body.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { InputResponse } from '../common/elicitation';
import { TASK_PROGRESS_SIGNAL, type LiveTaskState, type ProgressDetails } from '../common/task-types';

/** Answers `tasks/get` while the workflow runs. Read-only. */
export const taskStateQuery = defineQuery<LiveTaskState>('taskState');

/**
 * Delivers the client's answer to the task's pending question. The validator rejects an answer to
 * another question or one that breaks the question's schema, so nothing invalid reaches history and
 * the client is asked again.
 */
export const provideInputUpdate = defineUpdate<{ accepted: true }, [InputResponse]>('provideInput');

/**
 * Progress of the task's running activity, sent by the activity itself (throttled, see
 * `activities/common/progress-report.ts`), so that the workflow's current details show it in the
 * Temporal UI. The MCP side reads progress from the heartbeats, not from this.
 */
export const taskProgressSignal = defineSignal<[ProgressDetails]>(TASK_PROGRESS_SIGNAL);

/**
 * Memo key under which a task workflow records its live state (`LiveTaskState`) on every status
 * change, so that `describe()` and visibility listings read status, message, time and pending
 * question without a worker or a query.
 */
export const TASK_STATE_MEMO_KEY = 'taskState';

/**
 * Memo flag set at start by the engine, whose tasks always record their state in the memo: such an
 * execution needs no patch marker to know it (a marker costs an event and a visibility update per
 * task). Executions started before the flag existed still decide by the patch.
 */
export const RECORDS_STATE_MEMO_KEY = 'recordsState';

/** Hash of the owner's scope; every `tasks/list` filters on it. */
export const ScopeSearchAttribute = defineSearchAttributeKey('McpScope', 'KEYWORD');
/** The MCP tool the task runs. */
export const ToolSearchAttribute = defineSearchAttributeKey('McpTool', 'KEYWORD');
/** The MCP status of a running task (`working` or `input_required`), for operators filtering in the UI. */
export const TaskStatusSearchAttribute = defineSearchAttributeKey('McpTaskStatus', 'KEYWORD');
/** When the task's TTL runs out (creation + ttl); the clean-up job deletes closed tasks past it. */
export const ExpiresAtSearchAttribute = defineSearchAttributeKey('McpExpiresAt', 'DATETIME');

/** Every search attribute the product needs registered, as `name=Type` for `temporal server start-dev`. */
export const SEARCH_ATTRIBUTE_REGISTRATIONS: string[] = [
  'McpScope=Keyword',
  'McpTool=Keyword',
  'McpTaskStatus=Keyword',
  'McpExpiresAt=Datetime',
];
