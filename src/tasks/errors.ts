/**
 * Errors of the task engine, in its own vocabulary. The MCP adapter maps each to a JSON-RPC error
 * (see `src/mcp/protocol-errors.ts`); nothing here knows about MCP.
 */

/** Base class: every engine error carries a stable `kind` the adapter switches on. */
export abstract class TaskEngineError extends Error {
  abstract readonly kind:
    | 'not-found'
    | 'terminal'
    | 'not-cancellable'
    | 'not-terminal'
    | 'invalid-cursor'
    | 'invalid-request'
    | 'input-rejected'
    | 'limit';
}

/** No task with this id is visible to the caller: unknown, expired, or owned by someone else. */
export class TaskNotFoundError extends TaskEngineError {
  readonly kind = 'not-found';
  constructor(readonly taskId: string) {
    super(`Task not found: ${taskId}`);
    this.name = 'TaskNotFoundError';
  }
}

/** The task already reached a terminal status, so it cannot be cancelled. */
export class TaskAlreadyTerminalError extends TaskEngineError {
  readonly kind = 'terminal';
  constructor(
    readonly taskId: string,
    readonly status: string,
  ) {
    super(`Cannot cancel task ${taskId}: it is already ${status}`);
    this.name = 'TaskAlreadyTerminalError';
  }
}

/**
 * The task passed its point of no return (its work finishes whatever happens, e.g. a confirmed
 * deletion), so a cancel request is refused; the task completes on its own.
 */
export class TaskNotCancellableError extends TaskEngineError {
  readonly kind = 'not-cancellable';
  constructor(
    readonly taskId: string,
    readonly statusMessage?: string,
  ) {
    super(
      `Cannot cancel task ${taskId}: it is finishing work that cannot be interrupted` +
        (statusMessage ? ` (${statusMessage})` : '') +
        '; it will complete and report what it did',
    );
    this.name = 'TaskNotCancellableError';
  }
}

/**
 * The task's outcome was asked for before the task reached a terminal status. Waiting is the
 * caller's job (it polls the task); the engine never blocks on an unfinished task.
 */
export class TaskNotTerminalError extends TaskEngineError {
  readonly kind = 'not-terminal';
  constructor(
    readonly taskId: string,
    readonly status: string,
  ) {
    super(`Task ${taskId} has no result yet: it is still ${status}`);
    this.name = 'TaskNotTerminalError';
  }
}

/** A `tasks/list` cursor that this engine did not produce. */
export class InvalidCursorError extends TaskEngineError {
  readonly kind = 'invalid-cursor';
  constructor(readonly cursor: string) {
    super(`Invalid cursor: ${cursor.length > 64 ? `${cursor.slice(0, 64)}…` : cursor}`);
    this.name = 'InvalidCursorError';
  }
}

/** A task request the engine refuses as malformed (bad ttl, bad arguments). */
export class InvalidTaskRequestError extends TaskEngineError {
  readonly kind = 'invalid-request';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTaskRequestError';
  }
}

/** An answer the task refused: not the pending question, or content that breaks its schema. */
export class InputRejectedError extends TaskEngineError {
  readonly kind = 'input-rejected';
  constructor(message: string) {
    super(message);
    this.name = 'InputRejectedError';
  }
}

/** The caller hit a documented limit (running tasks per owner). */
export class TaskLimitError extends TaskEngineError {
  readonly kind = 'limit';
  constructor(message: string) {
    super(message);
    this.name = 'TaskLimitError';
  }
}
