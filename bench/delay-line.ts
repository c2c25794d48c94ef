/**
 * A fixed delay, first in first out, accurate below a millisecond: timers
 * (millisecond resolution) cover the whole milliseconds, and the last
 * fraction is waited out on the event loop (setImmediate), which keeps I/O
 * flowing. Every item is released no earlier than `delayMs` after it was
 * queued; the realised mean delay is kept so the report can show it.
 */
export class DelayLine {
  private readonly queue: Array<{
    readonly due: number;
    readonly queuedAt: number;
    readonly run: () => void;
  }> = [];
  private scheduled = false;
  private released = 0;
  private totalDelayMs = 0;

  constructor(readonly delayMs: number) {}

  /** Runs `run` after the delay (at once, synchronously, when the delay is 0). */
  push(run: () => void): void {
    if (this.delayMs <= 0) {
      run();
      return;
    }
    const now = performance.now();
    this.queue.push({ due: now + this.delayMs, queuedAt: now, run });
    this.schedule();
  }

  wait(): Promise<void> {
    return new Promise((resolve) => this.push(resolve));
  }

  /** Mean delay actually applied, in ms (0 when nothing was delayed). */
  realisedMeanMs(): number {
    return this.released === 0 ? 0 : this.totalDelayMs / this.released;
  }

  private schedule(): void {
    if (this.scheduled) return;
    const head = this.queue[0];
    if (!head) return;
    this.scheduled = true;
    const remaining = head.due - performance.now();
    if (remaining >= 1) setTimeout(this.pump, Math.floor(remaining));
    else setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    const now = performance.now();
    while (this.queue.length > 0 && (this.queue[0] as { due: number }).due <= now) {
      const item = this.queue.shift() as { queuedAt: number; run: () => void };
      this.released++;
      this.totalDelayMs += now - item.queuedAt;
      item.run();
    }
    this.schedule();
  };
}
