import { describe, expect, it } from 'vitest';
import { DecisionPool } from '../../bench/snapshot-comparison';

const fill = (into: number[], values: number[]) => {
  into.push(...values);
};
/** A step of 100 decisions of 10 ms but for its two slowest. */
const step = (second: number, slowest: number) => [...Array.from({ length: 98 }, () => 10), second, slowest];

describe('decision latency with the snapshots off and on, pooled over the steps of each', () => {
  it('pools each setting over its steps and compares the pooled p99s', () => {
    const pool = new DecisionPool();
    fill(pool.step(100, 'off'), step(30, 50));
    fill(pool.step(100, 'on'), step(33, 60));
    fill(pool.step(100, 'on'), step(25, 45));
    fill(pool.step(100, 'off'), step(20, 40));
    const [c] = pool.compare();
    expect(c).toMatchObject({ rate: 100, order: ['off', 'on', 'on', 'off'] });
    // p99 of a step is its 99th of 100; pooled, the 198th of 200: the third slowest of both steps.
    expect(c?.off).toMatchObject({ steps: 2, decisions: 200, p99: 30, p50: 10, stepP99s: [30, 20] });
    expect(c?.on).toMatchObject({ steps: 2, decisions: 200, p99: 33, stepP99s: [33, 25] });
    expect(c?.p99ChangePct).toBeCloseTo(10, 5);
  });

  it('says how far two steps of one setting land apart', () => {
    const pool = new DecisionPool();
    fill(pool.step(200, 'off'), [100]);
    fill(pool.step(200, 'on'), [110]);
    fill(pool.step(200, 'on'), [121]);
    fill(pool.step(200, 'off'), [150]);
    expect(pool.compare()[0]?.sameSettingSpreadPct).toBeCloseTo(50, 5);
  });

  it('compares only rates that ran with both settings', () => {
    const pool = new DecisionPool();
    fill(pool.step(100, 'off'), [5]);
    fill(pool.step(300, 'off'), [5]);
    fill(pool.step(300, 'on'), [6]);
    expect(pool.compare().map((c) => c.rate)).toEqual([300]);
  });
});
