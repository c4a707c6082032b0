import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TaskView } from '../tasks/task-backend';

/** Tasks whose tool is remembered between their creation and their end, per process. */
const REMEMBERED_TASKS = 10_000;

/**
 * The product's Prometheus metrics, in a registry of its own (not prom-client's global one), so that
 * each started product counts only its own requests and tasks.
 *
 * Task outcomes are counted where the server sees them: by the session that created the task (its
 * status notifications) or served its `tasks/result`. A task nobody watches to its end is counted as
 * created only; Temporal's own metrics (`temporal_workflow_*` from the worker) count every execution.
 */
export class ProductMetrics {
  readonly registry = new Registry();
  /** `mcp_requests_total{method, outcome, code}`: JSON-RPC requests handled, `outcome` ok or error. */
  readonly requests = new Counter({
    name: 'mcp_requests_total',
    help: 'MCP JSON-RPC requests handled, by method and outcome (ok, or error with its JSON-RPC code)',
    labelNames: ['method', 'outcome', 'code'] as const,
    registers: [this.registry],
  });
  readonly tasksCreated = new Counter({
    name: 'mcp_tasks_created_total',
    help: 'Tasks created, by tool',
    labelNames: ['tool'] as const,
    registers: [this.registry],
  });
  readonly tasksFinished = new Counter({
    name: 'mcp_tasks_finished_total',
    help: 'Tasks seen ending, by tool and final status (completed, failed, cancelled)',
    labelNames: ['tool', 'status'] as const,
    registers: [this.registry],
  });
  readonly taskDuration = new Histogram({
    name: 'mcp_task_duration_seconds',
    help: 'Time from a task’s creation to its final status, by tool and final status',
    labelNames: ['tool', 'status'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14_400],
    registers: [this.registry],
  });
  /** Questions (`elicitation/create`) sent to clients whose answer has not arrived yet. */
  readonly questionsPending = new Gauge({
    name: 'mcp_questions_pending',
    help: 'Questions of input_required tasks sent to clients and not answered yet',
    registers: [this.registry],
  });
  readonly notificationLag = new Histogram({
    name: 'mcp_notification_lag_seconds',
    help: 'Time from a task’s status change to the notifications/tasks/status that reports it',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly toolOf = new Map<string, string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  taskCreated(taskId: string, tool: string): void {
    this.tasksCreated.inc({ tool });
    this.toolOf.set(taskId, tool);
    if (this.toolOf.size > REMEMBERED_TASKS) this.toolOf.delete(this.toolOf.keys().next().value!);
  }

  /** Counts a task seen in its final status; each task once per process. */
  taskEnded(task: TaskView): void {
    const tool = this.toolOf.get(task.taskId);
    if (tool === undefined) return;
    this.toolOf.delete(task.taskId);
    const labels = { tool, status: task.status };
    this.tasksFinished.inc(labels);
    const seconds = (Date.parse(task.lastUpdatedAt) - Date.parse(task.createdAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) this.taskDuration.observe(labels, seconds);
  }

  /** Records how late a status notification for `task` is sent. */
  statusNotified(task: TaskView): void {
    const lag = (Date.now() - Date.parse(task.lastUpdatedAt)) / 1000;
    if (Number.isFinite(lag)) this.notificationLag.observe(Math.max(0, lag));
  }

  /** The exposition text and its content type, for a `/metrics` response. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
