import { LISTED_WAIT_MS, ListedStarts } from '../../src/tasks/listed-starts';

/** A visibility that lists each id after it was asked for `looksBeforeListed` times. */
function fakeVisibility(looksBeforeListed: number) {
  const looks = new Map<string, number>();
  const lookups: string[][] = [];
  let release: (() => void) | undefined;
  let held: Promise<void> | undefined;
  return {
    lookups,
    /** Holds the next lookup in flight until `resume()`. */
    hold(): void {
      held = new Promise((resolve) => (release = resolve));
    },
    resume(): void {
      release?.();
      held = undefined;
    },
    async listed(ids: readonly string[]): Promise<ReadonlySet<string>> {
      lookups.push([...ids]);
      if (held) await held;
      const listed = new Set<string>();
      for (const id of ids) {
        const seen = (looks.get(id) ?? 0) + 1;
        looks.set(id, seen);
        if (seen > looksBeforeListed) listed.add(id);
      }
      return listed;
    },
  };
}

describe('ListedStarts', () => {
  test('a start listed at the first look costs one lookup', async () => {
    const visibility = fakeVisibility(0);
    const starts = new ListedStarts({ listed: (ids) => visibility.listed(ids), signal: new AbortController().signal });
    await starts.wait('a');
    expect(visibility.lookups).toEqual([['a']]);
  });

  test('starts that wait at the same time share their lookups', async () => {
    const visibility = fakeVisibility(1);
    const starts = new ListedStarts({ listed: (ids) => visibility.listed(ids), signal: new AbortController().signal });
    visibility.hold();
    const first = starts.wait('a');
    await new Promise(setImmediate);
    expect(visibility.lookups).toEqual([['a']]);
    // Asked while the first lookup is in flight: both are asked together in the next one.
    const others = [starts.wait('b'), starts.wait('c')];
    visibility.resume();
    await Promise.all([first, ...others]);
    expect(visibility.lookups[0]).toEqual(['a']);
    expect(visibility.lookups[1]).toEqual(['a', 'b', 'c']);
    // a was listed at its second look, b and c at theirs: four lookups for three starts, not six.
    expect(visibility.lookups).toHaveLength(3);
    expect(visibility.lookups[2]).toEqual(['b', 'c']);
  });

  test('answers a start that visibility never lists once the wait is over, and a failed lookup is retried', async () => {
    let now = 0;
    let calls = 0;
    const starts = new ListedStarts({
      listed: () => {
        calls++;
        now += LISTED_WAIT_MS / 4;
        return calls === 1 ? Promise.reject(new Error('visibility unavailable')) : Promise.resolve(new Set());
      },
      signal: new AbortController().signal,
      now: () => now,
    });
    await starts.wait('never');
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(now).toBeGreaterThanOrEqual(LISTED_WAIT_MS);
  });

  test('stopping answers every wait at once', async () => {
    const stop = new AbortController();
    const starts = new ListedStarts({ listed: () => Promise.resolve(new Set()), signal: stop.signal });
    const waits = [starts.wait('a'), starts.wait('b')];
    stop.abort();
    await Promise.all(waits);
    await expect(starts.wait('c')).resolves.toBeUndefined();
  });
});

describe('ListedStarts of an owner', () => {
  test('a start costs nothing until its owner lists; then the listing waits until it is listed', async () => {
    const visibility = fakeVisibility(1);
    const starts = new ListedStarts({ listed: (ids) => visibility.listed(ids), signal: new AbortController().signal });
    starts.started('alice', 'a1');
    starts.started('alice', 'a2');
    starts.started('bob', 'b1');
    expect(visibility.lookups).toEqual([]);
    await starts.settle('alice');
    // Only alice's starts were looked for, together, until listed; bob's wait for bob's listing.
    expect(visibility.lookups).toEqual([
      ['a1', 'a2'],
      ['a1', 'a2'],
    ]);
    await starts.settle('alice');
    expect(visibility.lookups).toHaveLength(2);
    await starts.settle('bob');
    expect(visibility.lookups.slice(2)).toEqual([['b1'], ['b1']]);
  });

  test('forgets starts older than the longest wait instead of waiting for them', async () => {
    let now = 0;
    const visibility = fakeVisibility(0);
    const starts = new ListedStarts({
      listed: (ids) => visibility.listed(ids),
      signal: new AbortController().signal,
      now: () => now,
    });
    starts.started('alice', 'old');
    now += LISTED_WAIT_MS;
    starts.started('alice', 'new');
    await starts.settle('alice');
    expect(visibility.lookups).toEqual([['new']]);
  });
});
