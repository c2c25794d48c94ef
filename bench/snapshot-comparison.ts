import { percentile } from './stats';

/** Decision latency at one rate, the snapshots off against on, over every step of each. */
export interface SnapshotComparison {
  readonly rate: number;
  /** The steps in the order they ran ("off", "on", "on", "off" for a rate given twice). */
  readonly order: ReadonlyArray<'off' | 'on'>;
  readonly off: PooledSteps;
  readonly on: PooledSteps;
  /** Pooled p99 on against off, in percent (the promise: at most +10). */
  readonly p99ChangePct: number;
  /**
   * The largest difference between two steps of one setting, in percent of
   * the smaller p99: how far apart identical steps land on this machine.
   */
  readonly sameSettingSpreadPct: number;
}

export interface PooledSteps {
  readonly steps: number;
  readonly decisions: number;
  /** p99 of every decision of the steps together. */
  readonly p99: number;
  readonly p50: number;
  /** Each step's own p99, in the order they ran. */
  readonly stepP99s: ReadonlyArray<number>;
}

/** Collects each step's decision latencies by rate and setting. */
export class DecisionPool {
  private readonly steps = new Map<number, Array<{ setting: 'off' | 'on'; samples: number[] }>>();

  /** The array a step fills with its decision latencies. */
  step(rate: number, setting: 'off' | 'on'): number[] {
    const samples: number[] = [];
    const list = this.steps.get(rate) ?? [];
    list.push({ setting, samples });
    this.steps.set(rate, list);
    return samples;
  }

  /** One comparison per rate that ran with the snapshots both off and on. */
  compare(): SnapshotComparison[] {
    const comparisons: SnapshotComparison[] = [];
    for (const [rate, steps] of this.steps) {
      const off = pool(steps.filter((s) => s.setting === 'off').map((s) => s.samples));
      const on = pool(steps.filter((s) => s.setting === 'on').map((s) => s.samples));
      if (!off || !on) continue;
      comparisons.push({
        rate,
        order: steps.map((s) => s.setting),
        off,
        on,
        p99ChangePct: (on.p99 / off.p99 - 1) * 100,
        sameSettingSpreadPct: Math.max(spreadPct(off.stepP99s), spreadPct(on.stepP99s)),
      });
    }
    return comparisons;
  }
}

function pool(steps: ReadonlyArray<ReadonlyArray<number>>): PooledSteps | null {
  if (steps.length === 0) return null;
  const all = steps.flat();
  return {
    steps: steps.length,
    decisions: all.length,
    p99: percentile(all, 99),
    p50: percentile(all, 50),
    stepP99s: steps.map((s) => percentile(s, 99)),
  };
}

function spreadPct(values: ReadonlyArray<number>): number {
  if (values.length < 2) return 0;
  return (Math.max(...values) / Math.min(...values) - 1) * 100;
}
