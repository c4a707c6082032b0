import { createHash, randomBytes } from 'node:crypto';

/** Branded task id: 32 lowercase hex characters, 128 random bits. */
export type TaskId = string & { readonly __brand: 'TaskId' };

/**
 * Who owns a task. `scope` names the authenticated principal, the MCP session or the stdio scope,
 * e.g. `session:<id>`. Two owners with different scopes never see each other's tasks.
 */
export interface TaskOwner {
  readonly scope: string;
  /**
   * Whose project memory the owner's tools work on. With authentication, the value of the token's
   * claim named by `MCP_AUTH_TENANT_CLAIM`; without it, absent: the one local tenant (`LOCAL_TENANT`).
   * Several owners may share a tenant; tasks stay per owner.
   */
  readonly tenant?: string;
}

const TASK_ID_PATTERN = /^[0-9a-f]{32}$/;

/** A new task id from a cryptographically secure source. */
export function newTaskId(): TaskId {
  return randomBytes(16).toString('hex') as TaskId;
}

/** Whether `value` has the shape of a task id; anything else is simply not found. */
export function isTaskId(value: string): value is TaskId {
  return TASK_ID_PATTERN.test(value);
}

/** Keys computed lately, by scope: every request needs its owner's key, often several times. */
const recentScopeKeys = new Map<string, string>();
/** Past this many scopes the remembered keys are forgotten at once (they are cheap to compute again). */
const MAX_REMEMBERED_SCOPE_KEYS = 10_000;

/** Short stable key of an owner's scope, used in workflow ids and the `McpScope` search attribute. */
export function scopeKey(owner: TaskOwner): string {
  let key = recentScopeKeys.get(owner.scope);
  if (key === undefined) {
    key = createHash('sha256').update(owner.scope).digest('hex').slice(0, 32);
    if (recentScopeKeys.size >= MAX_REMEMBERED_SCOPE_KEYS) recentScopeKeys.clear();
    recentScopeKeys.set(owner.scope, key);
  }
  return key;
}

/**
 * The workflow id of an owner's task. Namespacing by scope makes ownership structural: another owner
 * computes another workflow id, so a foreign task is indistinguishable from a missing one.
 */
export function workflowIdFor(owner: TaskOwner, taskId: TaskId): string {
  return `mcp-task/${scopeKey(owner)}/${taskId}`;
}

/**
 * The workflow id of a plain call (a tool called without a task). Outside `mcp-task/`, so that no
 * task operation can reach it, yet namespaced by scope like a task for operators.
 */
export function callWorkflowIdFor(owner: TaskOwner, callId: TaskId): string {
  return `mcp-call/${scopeKey(owner)}/${callId}`;
}
