import type { KillRecord } from '../chaos/killer';
import type { LoadState, TrackedTask } from '../chaos/load';
import { parseChaosOptions, SeededRandom } from '../chaos/options';
import type { ChaosOwner } from '../chaos/owner';
import { buildReport, formatReport, type MemoryFinding } from '../chaos/report';

const owner = { name: 'owner-1', retries: 2 } as unknown as ChaosOwner;

function stateWith(tasks: Partial<TrackedTask>[], leaked: string[] = []): LoadState {
  return {
    owners: [owner],
    datasetsDir: '/nowhere',
    runId: 'chaostest',
    createUntil: 0,
    settleUntil: 0,
    tasks: tasks.map((task, i) => ({ taskId: `t${i}`, owner, kind: 'long_running_operation', ...task })),
    crossOwner: { attempts: 3, refused: 3 - leaked.length, leaked, unanswered: 0 },
    notCreated: new Map(),
  };
}

const kills: KillRecord = {
  kills: { worker: 1, 'mcp replica': 1, 'temporal server': 1 },
  unplannedExits: [],
  restartMs: { worker: [1000], 'mcp replica': [800], 'temporal server': [5000] },
};
const cleanMemory: MemoryFinding = { importedTwice: 0, deletedTwice: 0, details: [], contradictions: [] };
const options = parseChaosOptions(['--tasks=2', '--kills=3'], {});

function report(state: LoadState, memory = cleanMemory) {
  return buildReport({ options, startedAt: 0, endedAt: 1000, state, kills, orphans: 0, memory });
}

describe('chaos options', () => {
  it('takes flags over CHAOS_* variables over the defaults, seconds as milliseconds', () => {
    expect(parseChaosOptions(['--kills=7'], { CHAOS_KILLS: '5', CHAOS_KILL_INTERVAL_SECONDS: '2' })).toMatchObject({
      tasks: 200,
      kills: 7,
      killIntervalMs: 2000,
    });
  });

  it('refuses an unknown flag and a value below its minimum, by name', () => {
    expect(() => parseChaosOptions(['--task=3'], {})).toThrow('unknown argument --task=3');
    expect(() => parseChaosOptions([], { CHAOS_OWNERS: '1' })).toThrow('--owners (CHAOS_OWNERS) must be a number >= 2');
    expect(() => parseChaosOptions(['--seed=x'], {})).toThrow('--seed (CHAOS_SEED)');
  });

  it('draws the same numbers from the same seed', () => {
    const draw = (seed: number) =>
      Array.from(
        { length: 5 },
        (
          (random) => () =>
            random.int(0, 1000)
        )(new SeededRandom(seed)),
      );
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });
});

describe('the chaos report', () => {
  it('passes a run where every task completed and every kill was delivered', () => {
    const result = report(stateWith([{ outcome: 'completed' }, { outcome: 'completed' }]));
    expect(result.verdict).toEqual([]);
    expect(formatReport(result)).toContain('Verdict: PASS');
  });

  it('fails on a lost task, a leaked read, a duplicate and an unexplained failure, and names each', () => {
    const result = report(
      stateWith(
        [
          { outcome: 'lost', reason: 'no terminal state by the end of the run (last status working)' },
          { outcome: 'failed', reason: 'something nobody expected' },
          { outcome: 'failed', reason: 'Activity task failed: maximum attempts reached' },
        ],
        ['owner-2 read t0 of owner-1 with tasks/get'],
      ),
      { ...cleanMemory, importedTwice: 1, details: ['x: 1 decisions stored twice'] },
    );
    expect(result.verdict).toEqual([
      '1 tasks lost',
      'duplicated side effects',
      '1 cross-owner reads answered',
      '1 failures unexplained',
    ]);
    const table = formatReport(result);
    expect(table).toContain('| something nobody expected | 1 | UNEXPLAINED |');
    expect(table).toContain('Verdict: FAIL');
  });
});
