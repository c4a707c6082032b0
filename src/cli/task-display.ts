import { Presets, SingleBar } from 'cli-progress';
import type { Task } from '@modelcontextprotocol/sdk/types.js';

/** One `notifications/progress` report. */
export interface ProgressReport {
  progress: number;
  total?: number;
  message?: string;
}

/** Shows a task's life while the command waits for it: a live bar on a terminal, plain lines elsewhere. */
export interface TaskDisplay {
  /** The task as `tasks/get` or a status notification last described it. */
  showTask(task: Task): void;
  showProgress(report: ProgressReport): void;
  /** Takes the bar off the screen while a question is asked, and puts it back after. */
  pause(): void;
  resume(): void;
  /** Ends the display for good; later calls are ignored. */
  stop(): void;
}

/** A bar when both stdout and stderr are terminals (the bar is drawn on stderr), plain lines otherwise. */
export function createTaskDisplay(taskId: string | undefined): TaskDisplay {
  return process.stdout.isTTY && process.stderr.isTTY ? new ProgressBarDisplay(taskId) : new PlainDisplay();
}

// "Step 2/4", "batch 42/300": servers that send no progress notifications often say it in the message.
const COUNT_IN_MESSAGE = /(\d+)\s*\/\s*(\d+)/;

class ProgressBarDisplay implements TaskDisplay {
  private readonly bar = new SingleBar(
    {
      format: '{bar} {percentage}% | {status} | {message}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      stream: process.stderr,
      barsize: 30,
    },
    Presets.shades_classic,
  );
  private running = false;
  private stopped = false;
  private value = 0;
  private total = 100;
  private status = 'working';
  private message = '';
  private countsFromNotifications = false;

  constructor(taskId: string | undefined) {
    if (taskId !== undefined) process.stderr.write(`Task ${taskId}\n`);
    this.resume();
  }

  showTask(task: Task): void {
    this.status = task.status;
    if (task.statusMessage !== undefined) this.message = task.statusMessage;
    const counts = COUNT_IN_MESSAGE.exec(task.statusMessage ?? '');
    if (!this.countsFromNotifications && counts) {
      this.value = Number(counts[1]);
      this.total = Math.max(Number(counts[2]), 1);
    }
    if (task.status === 'completed') this.value = this.total;
    this.render();
  }

  showProgress(report: ProgressReport): void {
    this.countsFromNotifications = true;
    if (report.total !== undefined && report.total > 0) this.total = report.total;
    this.value = Math.min(report.progress, this.total);
    if (report.message !== undefined) this.message = report.message;
    this.render();
  }

  pause(): void {
    if (!this.running) return;
    this.running = false;
    this.bar.stop();
  }

  resume(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.bar.start(this.total, this.value, { status: this.status, message: this.message });
  }

  stop(): void {
    this.pause();
    this.stopped = true;
  }

  private render(): void {
    if (!this.running) return;
    this.bar.setTotal(this.total);
    this.bar.update(this.value, { status: this.status, message: this.message });
  }
}

class PlainDisplay implements TaskDisplay {
  private lastLine = '';
  private stopped = false;

  showTask(task: Task): void {
    this.line(task.statusMessage ? `${task.status}: ${task.statusMessage}` : task.status);
  }

  showProgress(report: ProgressReport): void {
    const counts = report.total !== undefined ? `${report.progress}/${report.total}` : `${report.progress}`;
    this.line(report.message ? `progress ${counts}: ${report.message}` : `progress ${counts}`);
  }

  pause(): void {}
  resume(): void {}

  stop(): void {
    this.stopped = true;
  }

  // Polling repeats the same state; only changes are worth a line.
  private line(text: string): void {
    if (this.stopped || text === this.lastLine) return;
    this.lastLine = text;
    process.stderr.write(`${text}\n`);
  }
}
