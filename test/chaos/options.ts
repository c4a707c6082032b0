/** What one chaos run does; every field has an environment variable and a flag (see {@link parseChaosOptions}). */
export interface ChaosOptions {
  /** Tasks to create at least; the load goes on past it until every kill is done. */
  tasks: number;
  /** SIGKILLs to deliver, spread over workers, MCP replicas and the Temporal server. */
  kills: number;
  /** Mean pause between a component's restart and the next kill, in ms (each pause is drawn from 0.5× to 1.5×). */
  killIntervalMs: number;
  /** Hard bound on the whole run, settling included, in ms. */
  timeLimitMs: number;
  /** Seed of every random choice (task kinds, sizes, kill targets and moments). */
  seed: number;
  /** Sessions that create tasks; each reads the others' task ids. */
  owners: number;
  /** Jobs in flight at once. */
  concurrency: number;
}

interface OptionSpec {
  key: keyof ChaosOptions;
  flag: string;
  env: string;
  fallback: number;
  /** The flag's value times this is the option's value (seconds → ms). */
  scale?: number;
  min: number;
}

const SPECS: OptionSpec[] = [
  { key: 'tasks', flag: 'tasks', env: 'CHAOS_TASKS', fallback: 200, min: 1 },
  { key: 'kills', flag: 'kills', env: 'CHAOS_KILLS', fallback: 20, min: 0 },
  {
    key: 'killIntervalMs',
    flag: 'kill-interval',
    env: 'CHAOS_KILL_INTERVAL_SECONDS',
    fallback: 3,
    scale: 1000,
    min: 0,
  },
  { key: 'timeLimitMs', flag: 'time-limit', env: 'CHAOS_TIME_LIMIT_SECONDS', fallback: 1200, scale: 1000, min: 10 },
  { key: 'seed', flag: 'seed', env: 'CHAOS_SEED', fallback: 1, min: 0 },
  { key: 'owners', flag: 'owners', env: 'CHAOS_OWNERS', fallback: 4, min: 2 },
  { key: 'concurrency', flag: 'concurrency', env: 'CHAOS_CONCURRENCY', fallback: 12, min: 1 },
];

/** The usage line of `npm run chaos`, listing every flag and its variable. */
export const CHAOS_USAGE =
  'npm run chaos -- ' +
  SPECS.map((spec) => `[--${spec.flag}=N (${spec.env}, default ${spec.fallback})]`).join(' ') +
  '  (kill-interval and time-limit in seconds)';

/**
 * Reads the options from `--name=value` flags, then the CHAOS_* variables, then the defaults (a short
 * run: 200 tasks, 20 kills). A value that is not a number at or above its minimum is refused by name.
 */
export function parseChaosOptions(argv: string[], env: NodeJS.ProcessEnv): ChaosOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!match || !SPECS.some((spec) => spec.flag === match[1]))
      throw new Error(`unknown argument ${arg}\n${CHAOS_USAGE}`);
    flags.set(match[1]!, match[2]!);
  }
  const options = {} as ChaosOptions;
  for (const spec of SPECS) {
    const raw = flags.get(spec.flag) ?? env[spec.env];
    const value = raw === undefined || raw === '' ? spec.fallback : Number(raw);
    if (!Number.isFinite(value) || value < spec.min) {
      throw new Error(`--${spec.flag} (${spec.env}) must be a number >= ${spec.min}, got "${raw}"`);
    }
    options[spec.key] = Math.round(value * (spec.scale ?? 1));
  }
  return options;
}

/** A seeded pseudo-random generator (mulberry32), so that a run's choices repeat with its seed. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}
