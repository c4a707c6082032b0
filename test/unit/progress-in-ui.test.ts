import {
  FIRST_PROGRESS_SIGNAL_AFTER_MS,
  MIN_PROGRESS_SIGNAL_INTERVAL_MS,
  ProgressSignalThrottle,
} from '../../activities/common/progress-report';
import { currentDetails } from '../../workflows/task-lifecycle';

const step = (current: number) => ({ current, total: 100, message: `Step ${current}/100` });

describe('ProgressSignalThrottle', () => {
  it('sends nothing in the first seconds, so short work never signals', () => {
    const throttle = new ProgressSignalThrottle(0);
    for (let t = 0; t < FIRST_PROGRESS_SIGNAL_AFTER_MS; t += 100) expect(throttle.take(t, step(t))).toBe(false);
    expect(throttle.take(FIRST_PROGRESS_SIGNAL_AFTER_MS, step(1))).toBe(true);
  });

  it('waits the minimum interval between two signals, even for new progress', () => {
    const throttle = new ProgressSignalThrottle(0);
    const first = FIRST_PROGRESS_SIGNAL_AFTER_MS;
    expect(throttle.take(first, step(1))).toBe(true);
    throttle.settled();
    expect(throttle.take(first + MIN_PROGRESS_SIGNAL_INTERVAL_MS - 1, step(2))).toBe(false);
    expect(throttle.take(first + MIN_PROGRESS_SIGNAL_INTERVAL_MS, step(2))).toBe(true);
  });

  it('sends nothing while the last signal is unanswered, nor progress already sent', () => {
    const throttle = new ProgressSignalThrottle(0);
    expect(throttle.take(3000, step(1))).toBe(true);
    expect(throttle.take(60_000, step(2))).toBe(false);
    throttle.settled();
    expect(throttle.take(61_000, step(1))).toBe(false);
    expect(throttle.take(61_000, step(2))).toBe(true);
  });

  it('adds under a hundred signals to a day-long activity that reports every second', () => {
    const throttle = new ProgressSignalThrottle(0);
    let signals = 0;
    for (let t = 0; t <= 24 * 3600 * 1000; t += 1000) {
      if (throttle.take(t, { current: t / 1000, message: `Imported ${t} records` })) {
        signals += 1;
        throttle.settled();
      }
    }
    expect(signals).toBeGreaterThan(50);
    expect(signals).toBeLessThan(100);
  });
});

describe('the current details the Temporal UI shows', () => {
  const working = { status: 'working' as const, lastUpdatedAt: '2026-01-01T00:00:00Z' };

  it('shows the progress message, with the counts when the message lacks them', () => {
    expect(currentDetails(working, step(42))).toBe('**MCP status:** working\n\n**Progress:** Step 42/100');
    expect(
      currentDetails({ ...working, statusMessage: 'Importing' }, { current: 42, total: 300, message: 'batch' }),
    ).toBe('**MCP status:** working\n\nImporting\n\n**Progress:** batch (42/300)');
    expect(currentDetails(working, { current: 7 })).toBe('**MCP status:** working\n\n**Progress:** 7');
  });

  it('shows no progress without any, nor under a pending question', () => {
    expect(currentDetails(working)).toBe('**MCP status:** working');
    const question = {
      requestId: 'r1',
      message: 'Confirm deletion of 2 records?',
      requestedSchema: { type: 'object' as const, properties: {} },
    };
    expect(currentDetails({ ...working, status: 'input_required', pendingInput: question }, step(1))).toBe(
      '**MCP status:** input_required\n\n**Waiting for an answer to:** Confirm deletion of 2 records?',
    );
  });
});
