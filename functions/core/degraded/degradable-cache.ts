import { isInvariantError } from '../errors';
import type { PeriodSnapshot } from '../family';
import type { LaneReply } from '../settlement/decision';
import type {
  ConfirmedEvent,
  ConfirmedVersions,
  DecideContext,
  LaneEvent,
  OwnedPending,
  UsageCache,
} from '../settlement/ports';
import type { RedisBreaker } from './redis-breaker';

/**
 * The usage cache of one batch: Redis while the breaker lets it, and when
 * Redis keeps failing, period states held in memory for the batch and loaded
 * from the ledger. A lane that switches stores sees new incarnations and is
 * decided again from its first open event; the ledger's version check on
 * commit keeps either store's decisions from standing if the ledger moved.
 */
export class DegradableCache implements UsageCache {
  private fallback: UsageCache | null = null;
  /** Lane calls answered from the ledger-backed states in this batch. */
  ledgerCalls = 0;

  constructor(
    private readonly redis: UsageCache,
    private readonly breaker: RedisBreaker,
    private readonly inMemory: () => UsageCache,
  ) {}

  /** Whether any call of this batch went to the ledger-backed states. */
  get degraded(): boolean {
    return this.fallback !== null;
  }

  decideLane(
    familyId: number,
    events: ReadonlyArray<LaneEvent>,
    context: DecideContext,
    owned?: OwnedPending,
  ): Promise<LaneReply> {
    return this.call(
      (cache) => cache.decideLane(familyId, events, context, owned),
      () => this.ledgerCalls++,
    );
  }

  hydrate(snapshot: PeriodSnapshot): Promise<void> {
    return this.call((cache) => cache.hydrate(snapshot));
  }

  confirm(
    familyId: number,
    period: string,
    versions: ConfirmedVersions,
    events: ReadonlyArray<ConfirmedEvent>,
  ): Promise<void> {
    return this.call((cache) => cache.confirm(familyId, period, versions, events));
  }

  invalidate(familyId: number, periods: ReadonlyArray<string>): Promise<void> {
    return this.call((cache) => cache.invalidate(familyId, periods));
  }

  private async call<T>(operation: (cache: UsageCache) => Promise<T>, onLedger = () => {}): Promise<T> {
    if (this.breaker.allows()) {
      try {
        const result = await operation(this.redis);
        this.breaker.success();
        return result;
      } catch (error) {
        if (isInvariantError(error)) throw error;
        this.breaker.failure();
        // Below the threshold the caller's retry tries Redis again.
        if (this.breaker.allows()) throw error;
      }
    }
    this.fallback ??= this.inMemory();
    onLedger();
    return operation(this.fallback);
  }
}
