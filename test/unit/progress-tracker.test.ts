import { ProgressTracker } from '../../src/tasks/progress-tracker';

describe('ProgressTracker', () => {
  it('reports only readings that advance, so a retry resumed from an older checkpoint sends nothing lower', () => {
    const tracker = new ProgressTracker();
    expect(tracker.advance({ current: 2, total: 5 })).toEqual({ current: 2, total: 5 });
    expect(tracker.advance({ current: 2, total: 5 })).toBeUndefined();
    expect(tracker.advance({ current: 1, total: 5 })).toBeUndefined();
    expect(tracker.advance(undefined)).toBeUndefined();
    expect(tracker.advance({ current: 4 })).toEqual({ current: 4 });
  });

  it('reports full progress once when the work completed short of its total, and nothing when it got there', () => {
    const short = new ProgressTracker();
    short.advance({ current: 3, total: 4 });
    expect(short.complete()).toEqual({ current: 4, total: 4, message: 'Completed' });
    expect(short.complete()).toBeUndefined();
    const full = new ProgressTracker();
    full.advance({ current: 4, total: 4 });
    expect(full.complete()).toBeUndefined();
    expect(new ProgressTracker().complete()).toBeUndefined();
  });
});
