import { describe, expect, it } from 'vitest';
import { progressLines } from '../../local/progress';

describe('npm start progress into a pipe', () => {
  it('writes a line when a phase starts, then at most one every few seconds', () => {
    const lines: string[] = [];
    let nowMs = 0;
    const report = progressLines(
      (text) => lines.push(text),
      5_000,
      () => nowMs,
    );

    report('starting services', 0, 1);
    report('settling events', 500, 5_000);
    for (const [at, done] of [
      [1_000, 1_000],
      [4_999, 1_500],
      [5_000, 2_000],
      [9_000, 2_500],
      [10_000, 5_000],
    ]) {
      nowMs = at as number;
      report('settling events', done as number, 5_000);
    }
    report('delivering notifications', 3, 65);

    expect(lines).toEqual([
      'starting services\n',
      'settling events: 500 of 5,000\n',
      'settling events: 2,000 of 5,000\n',
      'settling events: 5,000 of 5,000\n',
      'delivering notifications: 3 of 65\n',
    ]);
  });
});
