import { setTimeout as sleep } from 'node:timers/promises';
import { clusterComponents, componentPorts, missingComponents, portTaken, upCluster } from '../../src/cluster/cluster';
import { runningPid, waitForExit, type Component } from '../../src/cluster/detached';
import type { ClusterSettings } from '../../src/cluster/settings';
import type { SeededRandom } from './options';

export const COMPONENT_KINDS = ['worker', 'mcp replica', 'temporal server'] as const;
export type ComponentKind = (typeof COMPONENT_KINDS)[number];

/** What the killer did, for the report. */
export interface KillRecord {
  kills: Record<ComponentKind, number>;
  /** Components found dead that the killer had not killed (each is restarted, and each is a finding). */
  unplannedExits: string[];
  /** How long each restart took, in ms, by kind (the whole `upCluster` call, readiness included). */
  restartMs: Record<ComponentKind, number[]>;
}

export interface KillPlan {
  settings: ClusterSettings;
  kills: number;
  intervalMs: number;
  random: SeededRandom;
  /** No kill starts after this moment. */
  until: number;
  say: (line: string) => void;
}

/**
 * Kills cluster components with SIGKILL, one at a time, at random moments, and restarts each with
 * `upCluster` (which starts whatever is missing and waits until it answers). The kinds take turns in a
 * random order within each round of three, so that every kind is hit as often as the others.
 */
export async function killAndRestart(plan: KillPlan): Promise<KillRecord> {
  const record: KillRecord = {
    kills: { worker: 0, 'mcp replica': 0, 'temporal server': 0 },
    unplannedExits: [],
    restartMs: { worker: [], 'mcp replica': [], 'temporal server': [] },
  };
  const components = clusterComponents(plan.settings);
  const byKind: Record<ComponentKind, Component[]> = {
    worker: components.workers,
    'mcp replica': components.servers,
    'temporal server': [components.temporal],
  };
  let round: ComponentKind[] = [];
  for (let k = 0; k < plan.kills; k++) {
    await sleep(Math.round(plan.intervalMs * (0.5 + plan.random.next())));
    if (Date.now() > plan.until) break;
    const missing = missingComponents(plan.settings);
    if (missing.length > 0) {
      record.unplannedExits.push(...missing);
      plan.say(`found ${missing.join(', ')} not running (not killed by chaos); restarting`);
      await upCluster(plan.settings, plan.say);
    }
    if (round.length === 0) round = shuffle([...COMPONENT_KINDS], plan.random);
    const kind = round.pop()!;
    const target = plan.random.pick(byKind[kind]);
    const pid = runningPid(target);
    if (pid === undefined) continue;
    process.kill(pid, 'SIGKILL');
    if (!(await waitForExit(pid, target.marker, 30_000)))
      throw new Error(`${target.name} (pid ${pid}) survived SIGKILL`);
    record.kills[kind]++;
    plan.say(`SIGKILL ${target.name} (pid ${pid}), kill ${k + 1} of ${plan.kills}`);
    await waitForPortsFree(componentPorts(plan.settings, target.name), target.name, plan.say);
    // Sometimes it stays down a while, so that clients meet the outage rather than a quick restart.
    await sleep(plan.random.int(0, 3) * 500);
    const started = Date.now();
    await upCluster(plan.settings, plan.say);
    record.restartMs[kind].push(Date.now() - started);
  }
  return record;
}

/** Longest a killed component's port may stay taken after its process is gone before the run fails. */
const PORT_RELEASE_TIMEOUT_MS = 60_000;

/**
 * Waits until nothing listens on the ports of a killed component. Its process is gone by then, yet once
 * in about 80 kills of the Temporal server under heavy load its frontend port was still taken when the
 * restart probed it; the restart then refused the port. The wait is said, so that a run shows it.
 */
async function waitForPortsFree(ports: number[], name: string, say: (line: string) => void): Promise<void> {
  const started = Date.now();
  for (const port of ports) {
    while (await portTaken(port)) {
      if (Date.now() - started > PORT_RELEASE_TIMEOUT_MS) {
        throw new Error(
          `Port ${port} of ${name} still taken ${PORT_RELEASE_TIMEOUT_MS} ms after its process was killed`,
        );
      }
      await sleep(100);
    }
  }
  const waited = Date.now() - started;
  if (waited > 500) say(`ports of ${name} free ${waited} ms after its process was gone`);
}

function shuffle<T>(items: T[], random: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
