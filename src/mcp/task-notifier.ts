import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ElicitResultSchema, RELATED_TASK_META_KEY } from '@modelcontextprotocol/sdk/types.js';
import { isTerminalStatus, type ProgressDetails, type TaskStatus } from '../../common/task-types';
import { TaskNotFoundError } from '../tasks/errors';
import { ProgressTracker } from '../tasks/progress-tracker';
import { scopeKey, type TaskOwner } from '../tasks/owner';
import type { TaskBackend, TaskView } from '../tasks/task-backend';
import { askQuestion, type QuestionOutcome } from './task-questions';
import type { TaskStatusRelay } from './task-status-relay';
import { toWireTask } from './wire-task';
import type { ProductMetrics } from '../ops/metrics';

interface WatchedTask {
  lastStatus: TaskStatus;
  /** When to read the task next (ms since the epoch), and how long it waits now between reads. */
  nextReadAt: number;
  readEveryMs: number;
  /** What progress was sent: it never goes backwards, even when a retried activity resumes lower. */
  progress: ProgressTracker;
  progressToken?: string | number;
  /** The `requestId` of the question now asked on the standalone GET stream. */
  askingRequestId?: string;
  /** Withdraws that question when a `tasks/result` stream takes it over. */
  handOver?: AbortController;
  /** Why the last answer on the GET stream was refused, to put in front of the same question. */
  rejection?: { requestId: string; reason: string };
}

/** How questions of `input_required` tasks also reach the session's standalone GET stream. */
export interface StandaloneQuestionOptions {
  /** Whether the session's standalone GET stream is open now; a request sent without one is lost. */
  isStreamOpen(): boolean;
  /** Whether the client can answer form questions. */
  canAnswerForms(): boolean;
  /**
   * Whether a `tasks/result` request for the task is being served: it asks the question on its own
   * stream, so the GET stream leaves it alone and the client is not asked twice.
   */
  isServedByResultStream?(taskId: string): boolean;
  /** How long one question waits for its answer before it is asked again. */
  timeoutMs: number;
  /** Called with what became of each question asked on the GET stream. */
  onOutcome?(taskId: string, outcome: QuestionOutcome): void;
}

export interface TaskNotifierOptions {
  server: Server;
  backend: TaskBackend;
  owner: TaskOwner;
  intervalMs: number;
  /** Brings the answers of `tasks/cancel` served by the session's other server instance. */
  statusRelay?: TaskStatusRelay;
  /** Also ask pending questions on the standalone GET stream; absent: never. */
  questions?: StandaloneQuestionOptions;
  /** Called once a watched task is seen terminal (for the audit log). */
  onTerminal?: (task: TaskView) => void;
  /**
   * Most tasks watched at once; past it, the task that has been quiet longest stops being watched (its
   * client still polls). @default 100
   */
  maxWatched?: number;
  /** Longest wait between two reads of a task that keeps not changing. @default 30_000 */
  maxIntervalMs?: number;
  /** Counts the questions asked on the standalone stream and the lag of status notifications. */
  metrics?: ProductMetrics;
}

const DEFAULT_MAX_WATCHED = 100;
const DEFAULT_MAX_INTERVAL_MS = 30_000;

/** Terminal status notifications remembered, so that a relayed cancel answer is not sent twice. */
const FINISHED_MEMORY = 256;

/**
 * Pushes `notifications/tasks/status` (the full task, exactly as `tasks/get` answers it, on every
 * status change) and, for tasks created with a `progressToken`, `notifications/progress` with
 * related-task `_meta` to one connected session, for the task's whole life. When the session's
 * standalone GET stream is open, it also asks the questions of `input_required` tasks there, for
 * clients that poll `tasks/get` and never call `tasks/result`. It polls the engine; nothing it holds
 * is task state: a resumed session rebuilds it from the owner's running tasks. Notifications are best
 * effort (the spec's MAY): clients still poll.
 */
export class TaskNotifier {
  private readonly watched = new Map<string, WatchedTask>();
  private readonly finished = new Map<string, string>();
  private readonly lifetime = new AbortController();
  private readonly unsubscribe: () => void;
  private timer: NodeJS.Timeout | undefined;
  /** Tasks a `tasks/result` stream reads for the notifier now, with how many streams. */
  private readonly servedElsewhere = new Map<string, number>();
  /** Notifications sent so far: a read that sent one saw a change. */
  private sent = 0;

  constructor(private readonly options: TaskNotifierOptions) {
    this.unsubscribe =
      options.statusRelay?.subscribe(scopeKey(options.owner), (task) => this.onAnswered(task)) ?? (() => undefined);
  }

  /** Starts watching a task of this session. */
  watch(task: TaskView): void {
    if (this.lifetime.signal.aborted || isTerminalStatus(task.status)) return;
    if (!this.watched.has(task.taskId) && this.watched.size >= (this.options.maxWatched ?? DEFAULT_MAX_WATCHED)) {
      this.watched.delete(this.quietest()!);
    }
    this.watched.set(task.taskId, {
      lastStatus: task.status,
      nextReadAt: Date.now() + this.options.intervalMs,
      readEveryMs: this.options.intervalMs,
      progressToken: task.progressToken,
      progress: new ProgressTracker(),
    });
    this.schedule();
  }

  /** How many tasks are watched now. */
  get watchedCount(): number {
    return this.watched.size;
  }

  /** The watched task read least often (the one quiet longest); the oldest of those on a tie. */
  private quietest(): string | undefined {
    let quietest: [string, WatchedTask] | undefined;
    for (const entry of this.watched) if (!quietest || entry[1].readEveryMs > quietest[1].readEveryMs) quietest = entry;
    return quietest?.[0];
  }

  /** Watches every task of the owner that is still running (after a restart or a resumed session). */
  async resume(): Promise<void> {
    for (const task of await this.options.backend.listRunningTasks(this.options.owner)) this.watch(task);
  }

  /**
   * A `tasks/result` stream now serves the task: a question of it that waits on the GET stream is
   * withdrawn (`notifications/cancelled`), so that the client answers it once, on that stream.
   */
  handOverQuestion(taskId: string): void {
    this.watched.get(taskId)?.handOver?.abort();
  }

  /** Stops watching and withdraws the questions asked on the GET stream. */
  close(): void {
    this.lifetime.abort(new Error('The session closed'));
    this.unsubscribe();
    clearTimeout(this.timer);
    this.watched.clear();
  }

  private schedule(): void {
    if (this.timer || this.lifetime.signal.aborted || this.watched.size === 0) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => {
        this.timer = undefined;
        this.schedule();
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /**
   * Reads each watched task that is due. A task that changed (status, progress, a question) is read
   * again after one interval; each read that finds it unchanged doubles its wait, up to the maximum,
   * so quiet tasks cost little and a busy session's reads stay bounded.
   */
  private async tick(): Promise<void> {
    for (const [taskId, entry] of [...this.watched]) {
      if (entry.nextReadAt > Date.now() || this.servedElsewhere.has(taskId)) continue;
      const sentBefore = this.sent;
      await this.read(taskId, entry);
      const changed = this.sent !== sentBefore || entry.askingRequestId !== undefined;
      entry.readEveryMs = changed
        ? this.options.intervalMs
        : Math.min(
            entry.readEveryMs * 2,
            Math.max(this.options.intervalMs, this.options.maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS),
          );
      entry.nextReadAt = Date.now() + entry.readEveryMs;
    }
  }

  /**
   * A `tasks/result` stream of this session waits for the task and reads it as it goes: until
   * {@link release}, its reads ({@link observe}) stand in for the notifier's own, so the task is not
   * read twice. Counted: several streams may wait for one task.
   */
  hold(taskId: string): void {
    this.servedElsewhere.set(taskId, (this.servedElsewhere.get(taskId) ?? 0) + 1);
  }

  /** The stream is done: the notifier reads the task itself again, starting at its next tick. */
  release(taskId: string): void {
    const left = (this.servedElsewhere.get(taskId) ?? 1) - 1;
    if (left > 0) return void this.servedElsewhere.set(taskId, left);
    this.servedElsewhere.delete(taskId);
    const entry = this.watched.get(taskId);
    if (entry) {
      entry.nextReadAt = 0;
      entry.readEveryMs = this.options.intervalMs;
    }
  }

  /** A read made by someone else (a `tasks/result` stream): notifies what changed, as a read of its own would. */
  async observe(task: TaskView): Promise<void> {
    const entry = this.watched.get(task.taskId);
    if (entry) await this.apply(task.taskId, entry, task);
  }

  private async read(taskId: string, entry: WatchedTask): Promise<void> {
    let task: TaskView;
    try {
      task = await this.options.backend.getTask(this.options.owner, taskId);
    } catch (err) {
      if (err instanceof TaskNotFoundError) this.watched.delete(taskId);
      return;
    }
    await this.apply(taskId, entry, task);
  }

  private async apply(taskId: string, entry: WatchedTask, task: TaskView): Promise<void> {
    if (!this.isWatching(taskId, entry)) return;
    await this.reportProgress(taskId, entry, task);
    // A cancel answer relayed while this read was under way is newer than the read.
    if (!this.isWatching(taskId, entry)) return;
    if (task.status !== entry.lastStatus) {
      entry.lastStatus = task.status;
      await this.sendStatus(task);
    }
    if (isTerminalStatus(task.status)) {
      this.watched.delete(taskId);
      this.options.onTerminal?.(task);
    } else this.askOnStandaloneStream(taskId, entry, task);
  }

  private isWatching(taskId: string, entry: WatchedTask): boolean {
    return this.watched.get(taskId) === entry;
  }

  private async reportProgress(taskId: string, entry: WatchedTask, task: TaskView): Promise<void> {
    if (entry.progressToken === undefined) return;
    const reports = [
      entry.progress.advance(task.progress),
      task.status === 'completed' ? entry.progress.complete() : undefined,
    ];
    for (const report of reports) {
      if (!report) continue;
      await this.send('notifications/progress', {
        ...progressNotificationParams(entry.progressToken, report),
        _meta: { [RELATED_TASK_META_KEY]: { taskId } },
      });
    }
  }

  /**
   * Asks the task's pending question on the standalone GET stream, once per question at a time. The
   * answer is applied only if no other answer (e.g. on a `tasks/result` stream) was applied first.
   */
  private askOnStandaloneStream(taskId: string, entry: WatchedTask, task: TaskView): void {
    const questions = this.options.questions;
    const question = task.status === 'input_required' ? task.pendingInput : undefined;
    if (!questions || !question || entry.askingRequestId !== undefined) return;
    if (!questions.isStreamOpen() || !questions.canAnswerForms()) return;
    if (questions.isServedByResultStream?.(taskId)) return;
    entry.askingRequestId = question.requestId;
    const handOver = new AbortController();
    entry.handOver = handOver;
    const reason = entry.rejection?.requestId === question.requestId ? entry.rejection.reason : undefined;
    void askQuestion({
      backend: this.options.backend,
      owner: this.options.owner,
      taskId,
      question,
      reason,
      // No related request: the SDK sends it on the session's standalone GET stream.
      send: (params, sendOptions) =>
        this.options.server.request({ method: 'elicitation/create', params }, ElicitResultSchema, sendOptions),
      timeoutMs: questions.timeoutMs,
      pollIntervalMs: this.options.intervalMs,
      signal: this.lifetime.signal,
      handOver: handOver.signal,
      pendingQuestions: this.options.metrics?.questionsPending,
    })
      .then((outcome) => {
        entry.rejection =
          outcome.kind === 'rejected' && outcome.stillPending
            ? { requestId: question.requestId, reason: outcome.reason }
            : undefined;
        questions.onOutcome?.(taskId, outcome);
      })
      .catch(() => {
        // The stream or the session went away; the next poll asks again if the task still waits.
      })
      .finally(() => {
        entry.askingRequestId = undefined;
        if (entry.handOver === handOver) entry.handOver = undefined;
      });
  }

  /** A `tasks/cancel` of this owner answered: the status notification says exactly what it answered. */
  private onAnswered(task: TaskView): void {
    if (this.lifetime.signal.aborted) return;
    const wire = toWireTask(task);
    const sent = this.finished.get(task.taskId);
    if (!this.watched.delete(task.taskId) && sent === JSON.stringify(wire)) return;
    void this.sendStatus(task);
  }

  private async sendStatus(task: TaskView): Promise<void> {
    const wire = toWireTask(task);
    if (isTerminalStatus(task.status)) {
      this.finished.delete(task.taskId);
      this.finished.set(task.taskId, JSON.stringify(wire));
      if (this.finished.size > FINISHED_MEMORY) this.finished.delete(this.finished.keys().next().value!);
    }
    this.options.metrics?.statusNotified(task);
    await this.send('notifications/tasks/status', wire);
  }

  private async send(method: string, params: Record<string, unknown>): Promise<void> {
    this.sent++;
    try {
      await this.options.server.notification({ method, params });
    } catch {
      // The session has no open stream right now; the client will see the state when it polls.
    }
  }
}

/** The params of `notifications/progress` for one reading of a task's or a call's progress. */
export function progressNotificationParams(
  progressToken: string | number,
  progress: ProgressDetails,
): { progressToken: string | number; progress: number; total?: number; message?: string } {
  return {
    progressToken,
    progress: progress.current,
    ...(progress.total !== undefined && { total: progress.total }),
    ...(progress.message !== undefined && { message: progress.message }),
  };
}
