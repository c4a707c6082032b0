import type { ProgressDetails } from '../../common/task-types';

/**
 * Decides which readings of a task's progress to report: only those that advance (a retried activity
 * that resumes from an older checkpoint reports less than was already sent), and full progress once
 * the work completed, since the last step ends with the activity, after its last heartbeat.
 */
export class ProgressTracker {
  private current: number | undefined;
  private total: number | undefined;

  /** The reading to report, or undefined when it does not advance. */
  advance(progress: ProgressDetails | undefined): ProgressDetails | undefined {
    if (!progress || progress.current <= (this.current ?? Number.NEGATIVE_INFINITY)) return undefined;
    this.current = progress.current;
    this.total = progress.total ?? this.total;
    return progress;
  }

  /** Full progress to report when the work completed short of its total, else undefined. */
  complete(): ProgressDetails | undefined {
    if (this.total === undefined || (this.current ?? 0) >= this.total) return undefined;
    this.current = this.total;
    return { current: this.total, total: this.total, message: 'Completed' };
  }
}
