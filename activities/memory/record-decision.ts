import { randomUUID } from 'node:crypto';
import { log } from '@temporalio/activity';
import { DEFAULT_DATA_LIMITS } from '../common/data-limits';
import { invalidInput } from '../common/failures';
import { currentActivityInfo } from '../common/activity-context';
import { FieldError, normaliseDecisionFields, type DecisionFields } from './decision-fields';
import { toRecord, type MemoryStore } from './memory-store';
import { tenantOf } from './tenant';
import type { DecisionRecord, ProjectMemoryActivities } from './types';

/**
 * The idempotency key of `recordDecision` in the current context: `task:<workflowId>` inside a
 * workflow (one tool call is one workflow, so every retry of its activity shares it),
 * `activity:<activityRunId>` for a standalone activity, a fresh `memory:<uuid>` otherwise.
 */
function recordKey(): string {
  const info = currentActivityInfo();
  if (info?.workflowExecution !== undefined) return `task:${info.workflowExecution.workflowId}`;
  if (info?.activityRunId !== undefined) return `activity:${info.activityRunId}`;
  // Called outside an activity: nothing to be idempotent with, but the decision still needs an identity.
  return `memory:${randomUUID()}`;
}

/**
 * Builds `recordDecision`: stores one decision of the scope's tenant, created now, and returns its id.
 *
 * Idempotent per workflow: the decision is stored under `task:<workflowId>`, so a retried attempt (or
 * a second call from the same workflow) returns the id stored first instead of inserting again. A
 * workflow therefore records at most one decision. Invalid fields, or a text longer than
 * `maxTextChars`, throw a non-retryable `InvalidInput`.
 */
export function createRecordDecision(
  store: () => MemoryStore,
  maxTextChars: number = DEFAULT_DATA_LIMITS.maxStoredTextChars,
): ProjectMemoryActivities['recordDecision'] {
  return async function recordDecision(options, scope) {
    const tenant = tenantOf(scope);
    let fields: DecisionFields;
    try {
      fields = normaliseDecisionFields(options ?? {}, maxTextChars);
    } catch (err) {
      if (err instanceof FieldError) throw invalidInput(err.message);
      throw err;
    }
    const key = recordKey();
    const { id, existing } = await store().recordOnce(tenant, key, fields, new Date().toISOString());
    if (existing !== undefined && (existing.title !== fields.title || existing.decision !== fields.decision)) {
      log.warn('recordDecision called again by the same workflow with different content; keeping the first', {
        externalId: key,
        id,
      });
    }
    return { id };
  };
}

/**
 * Builds `getRecentDecisions`: the scope's tenant's newest `limit` decisions (by `createdAt`, then id),
 * optionally only those carrying `tag` (arguments as `get_recent_decisions` parses them). Stops early,
 * flagging `truncated`, before the result passes `maxResultBytes`: the records as JSON plus the line of
 * text the tool's answer gives each (Temporal refuses payloads over 2 MB).
 */
export function createGetRecentDecisions(
  store: () => MemoryStore,
  maxResultBytes: number = DEFAULT_DATA_LIMITS.maxResultBytes,
): ProjectMemoryActivities['getRecentDecisions'] {
  return async function getRecentDecisions(options, scope) {
    const tenant = tenantOf(scope);
    const { limit, tag } = options;
    const rows = await store().recent(tenant, limit, tag);
    const decisions: DecisionRecord[] = [];
    let bytes = 0;
    for (const row of rows) {
      const record = toRecord(row);
      // The text line repeats title and decision (see getRecentDecisionsWorkflow).
      bytes += Buffer.byteLength(JSON.stringify(record)) + Buffer.byteLength(record.title + record.decision) + 40;
      if (bytes > maxResultBytes && decisions.length > 0) return { decisions, truncated: true };
      decisions.push(record);
    }
    return { decisions };
  };
}
