import type { Clock } from '../ports';

export interface BreakerSettings {
  /** Consecutive failed Redis calls (each after its retries) that open the breaker. */
  readonly failureThreshold: number;
  /** How long an open breaker keeps Redis out before letting one call try it again. */
  readonly cooldownMs: number;
}

/**
 * Whether the usage function decides with Redis or from the ledger alone.
 * Closed: Redis. After `failureThreshold` consecutive failures it opens for
 * `cooldownMs`; then calls try Redis again (half-open), and the first success
 * closes it while a failure opens it for another cooldown. One per container:
 * containers switch on their own, which is safe because every commit is
 * checked against the ledger's version of the family's period, whichever
 * store the decisions came from.
 */
export class RedisBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  /** When the breaker last opened and closed, for the metrics (epoch ms). */
  private openSince: number | null = null;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly clock: Clock,
  ) {}

  /** Whether Redis may be tried now. */
  allows(): boolean {
    return this.openedAt === null || this.clock.now() - this.openedAt >= this.settings.cooldownMs;
  }

  get open(): boolean {
    return this.openedAt !== null;
  }

  /** Since when Redis has been out (epoch ms), or null. */
  get degradedSince(): number | null {
    return this.openSince;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = null;
    this.openSince = null;
  }

  failure(): void {
    this.failures++;
    if (this.openedAt !== null || this.failures >= this.settings.failureThreshold) {
      this.openedAt = this.clock.now();
      this.openSince ??= this.openedAt;
    }
  }
}
