import { ClosedTaskCache } from '../../src/tasks/closed-task-cache';

describe('the cache of closed tasks', () => {
  let now = 1_000_000;
  const cache = (maxEntries = 3, maxAgeMs = 30_000) =>
    new ClosedTaskCache<string>({ maxAgeMs, maxEntries, now: () => now });

  beforeEach(() => {
    now = 1_000_000;
  });

  it('serves an entry until its age limit, then reads afresh', () => {
    const closed = cache();
    closed.put('a', 'view of a', Infinity);
    now += 29_999;
    expect(closed.get('a')).toBe('view of a');
    now += 1;
    expect(closed.get('a')).toBeUndefined();
    expect(closed.size).toBe(0);
  });

  it('never serves a task past its expiry, even within the age limit', () => {
    const closed = cache();
    closed.put('a', 'view of a', now + 5_000);
    now += 4_999;
    expect(closed.get('a')).toBe('view of a');
    now += 1;
    expect(closed.get('a')).toBeUndefined();
  });

  it('keeps nothing for a task already expired', () => {
    const closed = cache();
    closed.put('a', 'view of a', now);
    expect(closed.get('a')).toBeUndefined();
    expect(closed.size).toBe(0);
  });

  it('keeps at most its number of entries, dropping the least recently read', () => {
    const closed = cache(2);
    closed.put('a', 'A', Infinity);
    closed.put('b', 'B', Infinity);
    expect(closed.get('a')).toBe('A');
    closed.put('c', 'C', Infinity);
    expect(closed.size).toBe(2);
    expect(closed.get('b')).toBeUndefined();
    expect(closed.get('a')).toBe('A');
    expect(closed.get('c')).toBe('C');
  });

  it('replaces an entry put again', () => {
    const closed = cache();
    closed.put('a', 'old', Infinity);
    closed.put('a', 'new', Infinity);
    expect(closed.get('a')).toBe('new');
    expect(closed.size).toBe(1);
  });
});
