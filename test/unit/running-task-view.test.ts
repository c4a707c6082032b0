import type { Client } from '@temporalio/client';
import { msNumberToTs } from '@temporalio/common/lib/time';
import {
  RunningTaskView,
  isServable,
  progressFixedUntilMs,
  type FreshRead,
  type WatchState,
} from '../../src/tasks/running-task-view';

const STARTED = 2;
const SCHEDULED = 1;
const ts = msNumberToTs;

describe('until when a running task’s progress cannot change', () => {
  const options = { throttleMs: 1000, marginMs: 200 };

  it('is unbounded without a pending activity', () => {
    expect(progressFixedUntilMs([], options)).toBe(Number.POSITIVE_INFINITY);
  });

  it('is the last heartbeat plus the throttle, less the margin', () => {
    const pending = [{ state: STARTED, lastStartedTime: ts(5_000), lastHeartbeatTime: ts(10_000) }];
    expect(progressFixedUntilMs(pending, options)).toBe(10_800);
  });

  it('is the soonest of several activities', () => {
    const pending = [
      { state: STARTED, lastStartedTime: ts(5_000), lastHeartbeatTime: ts(10_000) },
      { state: STARTED, lastStartedTime: ts(5_000), lastHeartbeatTime: ts(9_500) },
    ];
    expect(progressFixedUntilMs(pending, options)).toBe(10_300);
  });

  it('follows a heartbeat timeout short enough that the worker throttles below a second', () => {
    const pending = [
      {
        state: STARTED,
        lastStartedTime: ts(5_000),
        lastHeartbeatTime: ts(10_000),
        activityOptions: { heartbeatTimeout: ts(500) },
      },
    ];
    expect(progressFixedUntilMs(pending, options)).toBe(10_200);
  });

  it.each([
    ['has not heartbeated yet', { state: STARTED, lastStartedTime: ts(5_000) }],
    [
      'heartbeated only in an earlier attempt',
      { state: STARTED, lastStartedTime: ts(12_000), lastHeartbeatTime: ts(10_000) },
    ],
    [
      'waits to be retried (its next attempt may heartbeat at once)',
      { state: SCHEDULED, lastStartedTime: ts(5_000), lastHeartbeatTime: ts(10_000) },
    ],
  ])('is 0 (never served) when an activity %s', (_what, activity) => {
    expect(progressFixedUntilMs([activity], options)).toBe(0);
  });
});

describe('whether a kept read of a running task may be served', () => {
  const entry = { runId: 'r1', historyLength: 12, progressFixedUntilMs: 5_000, readAtMs: 1_000 };
  const watch: WatchState = { runId: 'r1', armed: true, lastEventId: 12 };

  it('serves while the watch has read exactly the events the read saw and waits for more', () => {
    expect(isServable(entry, watch, 2_000, 30_000)).toBe(true);
  });

  it.each<[string, WatchState | undefined, number]>([
    ['no watch', undefined, 2_000],
    ['a watch not yet waiting', { ...watch, armed: false }, 2_000],
    ['a watch of another run', { ...watch, runId: 'r2' }, 2_000],
    ['an event after the read', { ...watch, lastEventId: 13 }, 2_000],
    ['a watch behind the read (it may not have seen what changed)', { ...watch, lastEventId: 11 }, 2_000],
    ['a heartbeat that may have come', watch, 5_000],
  ])('reads afresh with %s', (_what, state, now) => {
    expect(isServable(entry, state, now, 30_000)).toBe(false);
  });

  it('reads afresh past the age limit, whatever the watch says', () => {
    expect(isServable({ ...entry, progressFixedUntilMs: Infinity }, watch, 31_000, 30_000)).toBe(false);
  });
});

/** A Temporal client whose history long polls the test answers by hand. */
function fakeClient() {
  interface Poll {
    workflowId: string;
    answer: (events: number[], more?: boolean) => void;
    aborted: boolean;
  }
  const polls: Poll[] = [];
  let signal: AbortSignal | undefined;
  const client = {
    options: { namespace: 'default' },
    async withAbortSignal<T>(abortSignal: AbortSignal, fn: () => Promise<T>): Promise<T> {
      signal = abortSignal;
      return fn();
    },
    workflowService: {
      getWorkflowExecutionHistory(request: { execution: { workflowId: string } }) {
        const callSignal = signal!;
        return new Promise((resolve, reject) => {
          const poll: Poll = {
            workflowId: request.execution.workflowId,
            aborted: false,
            answer: (events, more = true) => {
              polls.splice(polls.indexOf(poll), 1);
              resolve({
                history: { events: events.map((eventId) => ({ eventId })) },
                nextPageToken: more ? new Uint8Array([1]) : new Uint8Array(),
              });
            },
          };
          polls.push(poll);
          callSignal.addEventListener('abort', () => {
            poll.aborted = true;
            polls.splice(polls.indexOf(poll), 1);
            reject(new Error('aborted'));
          });
        });
      },
    },
  };
  return { client: client as unknown as Client, polls };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the running-task view', () => {
  const snapshot = (historyLength: number) => ({ runId: 'r1', historyLength, progressFixedUntilMs: Infinity });

  it('serves a kept read until the watch reports a new event, with one fresh read for concurrent reads', async () => {
    const { client, polls } = fakeClient();
    const view = new RunningTaskView<string>({ client });
    let reads = 0;
    const readFresh = async (): Promise<FreshRead<string>> => ({ value: `read ${++reads}`, snapshot: snapshot(3) });
    const [a, b] = await Promise.all([view.read('w', readFresh), view.read('w', readFresh)]);
    expect([a, b, reads]).toEqual(['read 1', 'read 1', 1]);
    // Not armed yet: the watch has not read the history.
    expect(await view.read('w', readFresh)).toBe('read 2');
    polls[0]!.answer([1, 2, 3]);
    await settle();
    expect(await view.read('w', readFresh)).toBe('read 2');
    expect(await view.read('w', readFresh)).toBe('read 2');
    // An event after the read: the next read is fresh.
    polls[0]!.answer([4]);
    await settle();
    const later = async (): Promise<FreshRead<string>> => ({ value: `read ${++reads}`, snapshot: snapshot(4) });
    expect(await view.read('w', later)).toBe('read 3');
    expect(await view.read('w', later)).toBe('read 3');
    await view.close();
    expect(polls).toHaveLength(0);
  });

  it('reads afresh after this replica’s own write, and after the execution closed', async () => {
    const { client, polls } = fakeClient();
    const view = new RunningTaskView<string>({ client });
    let reads = 0;
    const readFresh = async (): Promise<FreshRead<string>> => ({ value: `read ${++reads}`, snapshot: snapshot(2) });
    await view.read('w', readFresh);
    polls[0]!.answer([1, 2]);
    await settle();
    expect(await view.read('w', readFresh)).toBe('read 1');
    view.forget('w');
    expect(await view.read('w', readFresh)).toBe('read 2');
    polls[0]!.answer([3, 4], false);
    await settle();
    expect(view.watchedCount).toBe(0);
    expect(await view.read('w', async () => ({ value: 'closed' }))).toBe('closed');
    expect(view.watchedCount).toBe(0);
    await view.close();
  });

  it('takes in a newer read made without the view, and never an older one', async () => {
    const { client, polls } = fakeClient();
    const view = new RunningTaskView<string>({ client });
    await view.read('w', async () => ({ value: 'at 2', snapshot: snapshot(2) }));
    polls[0]!.answer([1, 2]);
    await settle();
    const kept = async (): Promise<FreshRead<string>> => ({ value: 'fresh', snapshot: snapshot(9) });
    view.observe('w', { value: 'at 1', snapshot: snapshot(1) });
    expect(await view.read('w', kept)).toBe('at 2');
    view.observe('w', { value: 'at 2, later heartbeat', snapshot: { ...snapshot(2), progressFixedUntilMs: 1e15 } });
    expect(await view.read('w', kept)).toBe('at 2');
    // Newer than what the watch has read: kept, but served only once the watch has read it too.
    view.observe('w', { value: 'at 3', snapshot: snapshot(3) });
    polls[0]!.answer([3]);
    await settle();
    expect(await view.read('w', kept)).toBe('at 3');
    // Closed: nothing kept any more.
    view.observe('w', { value: 'closed' });
    expect(await view.read('w', async () => ({ value: 'read after close' }))).toBe('read after close');
    await view.close();
  });

  it('keeps a newer read taken in meanwhile over the viewed read that was in flight', async () => {
    const { client, polls } = fakeClient();
    const view = new RunningTaskView<string>({ client });
    await view.read('w', async () => ({ value: 'at 2', snapshot: { ...snapshot(2), progressFixedUntilMs: 0 } }));
    polls[0]!.answer([1, 2]);
    await settle();
    let finish: (read: FreshRead<string>) => void = () => undefined;
    const inFlight = view.read('w', () => new Promise<FreshRead<string>>((resolve) => (finish = resolve)));
    view.observe('w', { value: 'at 3', snapshot: snapshot(3) });
    finish({ value: 'at 2, read earlier', snapshot: snapshot(2) });
    expect(await inFlight).toBe('at 2, read earlier');
    polls[0]!.answer([3]);
    await settle();
    expect(await view.read('w', async () => ({ value: 'fresh', snapshot: snapshot(9) }))).toBe('at 3');
    await view.close();
  });

  it('keeps nothing of a task whose fresh read failed', async () => {
    const { client, polls } = fakeClient();
    const view = new RunningTaskView<string>({ client });
    // Kept at event 3 while the watch has read only 2: not served yet.
    await view.read('w', async () => ({ value: 'kept', snapshot: snapshot(3) }));
    polls[0]!.answer([1, 2]);
    await settle();
    await expect(view.read('w', () => Promise.reject(new Error('not found')))).rejects.toThrow('not found');
    await settle();
    // The watch catching up must not bring back what the failed read discarded.
    polls[0]!.answer([3]);
    await settle();
    let reads = 0;
    expect(await view.read('w', async () => ({ value: `read ${++reads}`, snapshot: snapshot(3) }))).toBe('read 1');
    await view.close();
  });

  it('watches at most its limit of tasks, dropping the least recently read', async () => {
    const { client, polls } = fakeClient();
    const view = new RunningTaskView<string>({ client, maxWatched: 2 });
    const readFresh = async (): Promise<FreshRead<string>> => ({ value: 'x', snapshot: snapshot(1) });
    await view.read('a', readFresh);
    await view.read('b', readFresh);
    await view.read('a', readFresh);
    await view.read('c', readFresh);
    expect([view.isWatched('a'), view.isWatched('b'), view.isWatched('c')]).toEqual([true, false, true]);
    await settle();
    expect(polls.map((poll) => poll.workflowId).sort()).toEqual(['a', 'c']);
    await view.close();
    expect(polls).toHaveLength(0);
  });

  it('stops a watch that nobody read for its idle time', async () => {
    const { client, polls } = fakeClient();
    const view = new RunningTaskView<string>({ client, idleMs: 40 });
    await view.read('a', async () => ({ value: 'x', snapshot: snapshot(1) }));
    expect(polls).toHaveLength(1);
    for (let waited = 0; view.watchedCount > 0 && waited < 50; waited++) await new Promise((r) => setTimeout(r, 10));
    expect(view.watchedCount).toBe(0);
    expect(polls).toHaveLength(0);
    await view.close();
  });
});
