import type { GeneratedEvent } from '../local/workload/generate';
import type { Latency } from './run-stores';
import type { SharedServices } from './services';
import { round } from './stats';
import { type Spread, spread } from './w2-report';
import { closedLoopRun, type W2RunFigures, type W2Tables } from './w2-runs';

export interface AbRound {
  readonly baseline: W2RunFigures;
  readonly product: W2RunFigures;
}

export interface AbSummary {
  readonly rounds: number;
  readonly baselineEventsPerSecond: Spread;
  readonly productEventsPerSecond: Spread;
  /** Product / baseline events/s, per round. */
  readonly ratio: Spread;
}

export interface AbSpec {
  readonly name: string;
  readonly rounds: number;
  readonly baselineEvents: number;
  readonly productEvents: number;
  readonly latency: Latency;
  readonly warm: boolean;
  /** The next slice of the workload's stream: every run gets events of its own. */
  readonly take: (n: number) => GeneratedEvent[];
}

/**
 * Baseline and product interleaved (A, B, A, B ...) on one seeded ledger, so
 * that both shapes see the same machine load within minutes of each other;
 * the ratio is taken per round and reported as a median with its spread.
 */
export async function runAbRounds(
  shared: SharedServices,
  tables: W2Tables,
  spec: AbSpec,
  log: (line: string) => void,
): Promise<AbRound[]> {
  const rounds: AbRound[] = [];
  for (let r = 1; r <= spec.rounds; r++) {
    const one = async (shape: 'baseline' | 'product', n: number) => {
      const label = `${spec.name}-${shape}-${r}-${Date.now().toString(36)}`;
      log(`${spec.name} round ${r} ${shape}: ${n} events`);
      const run = await closedLoopRun(
        shared,
        tables,
        { shape, events: spec.take(n), latency: spec.latency, label, warm: spec.warm },
        (l) => log(`  ${shape}: ${l}`),
      );
      log(`  ${shape}: ${round(run.eventsPerSecond, 0)} events/s, ${run.settled} settled`);
      return run;
    };
    const baseline = await one('baseline', spec.baselineEvents);
    const product = await one('product', spec.productEvents);
    rounds.push({ baseline, product });
  }
  return rounds;
}

export function summariseAb(rounds: ReadonlyArray<AbRound>): AbSummary {
  return {
    rounds: rounds.length,
    baselineEventsPerSecond: spread(rounds.map((r) => r.baseline.eventsPerSecond)),
    productEventsPerSecond: spread(rounds.map((r) => r.product.eventsPerSecond)),
    ratio: spread(rounds.map((r) => r.product.eventsPerSecond / r.baseline.eventsPerSecond)),
  };
}

/** Takes a workload's stream slice by slice, so that no two runs share an event. */
export function sliceStream(events: ReadonlyArray<GeneratedEvent>): (n: number) => GeneratedEvent[] {
  let cursor = 0;
  return (n) => {
    const slice = events.slice(cursor, cursor + n);
    cursor += n;
    return slice;
  };
}
