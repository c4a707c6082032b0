import { randomUUID } from 'node:crypto';
import { log } from '@temporalio/activity';
import { DEFAULT_DATA_LIMITS } from '../common/data-limits';
import { invalidInput } from '../common/failures';
import { currentActivityInfo } from '../common/activity-context';
import { FieldError, normaliseDecisionFields, type DecisionFields } from './decision-fields';
import { ROW_COLUMNS, toRecord, type DecisionRow, type DecisionStore } from './decision-store';
import { tenantOf } from './tenant';
import type { DecisionRecord, ProjectMemoryActivities } from './types';

const SQL = {
  recent: `SELECT ${ROW_COLUMNS} FROM decisions WHERE tenant = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
  recentWithTag: `SELECT d.id, d.external_id, d.title, d.decision, d.rationale, d.tags, d.created_at
                  FROM decision_tags t JOIN decisions d ON d.id = t.decision_id
                  WHERE t.tenant = ? AND t.tag = ? ORDER BY d.created_at DESC, d.id DESC LIMIT ?`,
} as const;

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
  store: () => DecisionStore,
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
    const db = store();
    return db.transaction(() => {
      const existing = db.findByExternalId(tenant, key);
      if (existing !== undefined) {
        if (existing.title !== fields.title || existing.decision !== fields.decision) {
          log.warn('recordDecision called again by the same workflow with different content; keeping the first', {
            externalId: key,
            id: existing.id,
          });
        }
        return { id: existing.id };
      }
      const now = new Date().toISOString();
      return { id: db.insert(tenant, fields, key, now, now) };
    });
  };
}

/**
 * Builds `getRecentDecisions`: the scope's tenant's newest `limit` decisions (by `createdAt`, then id),
 * optionally only those carrying `tag` (arguments as `get_recent_decisions` parses them). Stops early,
 * flagging `truncated`, before the result passes `maxResultBytes`: the records as JSON plus the line of
 * text the tool's answer gives each (Temporal refuses payloads over 2 MB).
 */
export function createGetRecentDecisions(
  store: () => DecisionStore,
  maxResultBytes: number = DEFAULT_DATA_LIMITS.maxResultBytes,
): ProjectMemoryActivities['getRecentDecisions'] {
  return async function getRecentDecisions(options, scope) {
    const tenant = tenantOf(scope);
    const { limit, tag } = options;
    const db = store();
    const rows = (
      tag === undefined ? db.sql(SQL.recent).all(tenant, limit) : db.sql(SQL.recentWithTag).all(tenant, tag, limit)
    ) as DecisionRow[];
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
