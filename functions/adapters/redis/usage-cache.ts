import type { ChainableCommander } from 'ioredis';
import type { Decision, ScriptResult } from '../../core/decision';
import { TransientError } from '../../core/errors';
import type { FamilySnapshot } from '../../core/family';
import type { Membership, UsageCache } from '../../core/ports';
import { periodStateExpiry } from '../../core/time';
import type { UsageEvent } from '../../core/usage-event';
import type { RedisClient } from './client';
import { type RedisKeys, redisKeys } from './keys';
import { encodeDecision, parseSettleReply, registerScripts, type ScriptCommands } from './settlement-scripts';

/** A family's period hash in Redis, read back (reconciliation). */
export interface PeriodState {
  readonly quota: number;
  readonly remaining: number;
  /** used:<customerId> fields present in the hash. */
  readonly used: ReadonlyMap<number, number>;
}

const USED_FIELD = 'used:';

type ScriptTransaction = ChainableCommander & {
  usHydrate(numKeys: number, ...args: Array<string | number>): ChainableCommander;
};

export interface UsageCacheSettings {
  readonly keyPrefix: string;
  readonly timeZone: string;
  readonly dedupWindowSeconds: number;
  readonly membershipSeconds: number;
  readonly nonMemberSeconds: number;
  readonly policySeconds: number;
}

/** The Redis side of settlement: membership cache, the settlement scripts, and cache maintenance for operators. */
export class RedisUsageCache implements UsageCache {
  readonly keys: RedisKeys;
  private readonly redis: RedisClient & ScriptCommands;
  private readonly expiries = new Map<string, number>();

  constructor(
    client: RedisClient,
    private readonly settings: UsageCacheSettings,
  ) {
    this.redis = registerScripts(client);
    this.keys = redisKeys(settings.keyPrefix);
  }

  async membership(familyId: number, customerId: number): Promise<Membership> {
    const [isMember, knownNonMember] = await Promise.all([
      this.redis.sismember(this.keys.members(familyId), String(customerId)),
      this.redis.exists(this.keys.nonMember(familyId, customerId)),
    ]);
    if (isMember === 1) return 'member';
    return knownNonMember === 1 ? 'non-member' : 'unknown';
  }

  async cacheMembers(familyId: number, customerIds: ReadonlyArray<number>): Promise<void> {
    if (customerIds.length === 0) return;
    const key = this.keys.members(familyId);
    await this.redis
      .multi()
      .sadd(key, ...customerIds.map(String))
      .expire(key, this.settings.membershipSeconds)
      .exec();
  }

  async cacheNonMember(familyId: number, customerId: number): Promise<void> {
    await this.redis.set(
      this.keys.nonMember(familyId, customerId),
      '1',
      'EX',
      this.settings.nonMemberSeconds,
    );
  }

  async decide(event: UsageEvent, runId: string): Promise<ScriptResult> {
    const reply = await this.redis.usSettle(
      this.keys.decision(event.familyId, event.eventId),
      this.keys.period(event.familyId, event.period),
      this.keys.policy(event.familyId, event.customerId),
      event.customerId,
      event.appId ?? '',
      event.bytesUsed,
      event.localHhmm,
      event.payloadHash,
      this.settings.dedupWindowSeconds,
      this.periodExpiry(event.period),
      runId,
    );
    return parseSettleReply(reply);
  }

  async hydrate(snapshot: FamilySnapshot): Promise<void> {
    const { numKeys, args } = this.hydrateArgs(snapshot);
    await this.redis.usHydrate(numKeys, ...args);
  }

  async compensate(event: UsageEvent, undoRunId: string, ledgerDecision: Decision): Promise<boolean> {
    const reply = await this.redis.usCompensate(
      this.keys.decision(event.familyId, event.eventId),
      this.keys.period(event.familyId, event.period),
      undoRunId,
      encodeDecision(ledgerDecision),
      this.settings.dedupWindowSeconds,
    );
    return reply === 1;
  }

  /** A family's period state as Redis holds it; null when absent (the next event hydrates it). */
  async periodState(familyId: number, period: string): Promise<PeriodState | null> {
    const fields = await this.redis.hgetall(this.keys.period(familyId, period));
    if (fields.quota === undefined) return null;
    const used = new Map<number, number>();
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith(USED_FIELD)) used.set(Number(field.slice(USED_FIELD.length)), Number(value));
    }
    return { quota: Number(fields.quota), remaining: Number(fields.remaining ?? 0), used };
  }

  /**
   * Forgets the family's member set and the negative entries of `customerIds`,
   * so the next event reloads membership from the ledger (a new member is seen
   * at once instead of after the negative entry expires).
   */
  async invalidateMembership(familyId: number, customerIds: ReadonlyArray<number>): Promise<void> {
    await this.redis.del(
      this.keys.members(familyId),
      ...customerIds.map((c) => this.keys.nonMember(familyId, c)),
    );
  }

  /** Deletes cached policies; the next event of each member hydrates its policy from the ledger. */
  async invalidatePolicies(familyId: number, customerIds: ReadonlyArray<number>): Promise<void> {
    if (customerIds.length === 0) return;
    await this.redis.del(...customerIds.map((c) => this.keys.policy(familyId, c)));
  }

  /**
   * Sets the family's quota for a period and moves `remaining` by the change,
   * atomically (lua/set-family-quota.lua). False when the period state is
   * absent: hydration then reads the new quota from the ledger.
   */
  async setQuota(familyId: number, period: string, quotaBytes: number): Promise<boolean> {
    const reply = await this.redis.usSetQuota(this.keys.period(familyId, period), String(quotaBytes));
    return reply === 1;
  }

  /**
   * Replaces a family's period state, member set and member policies with the
   * snapshot, in one MULTI/EXEC: the deletes and the hydrate script run with
   * no event in between.
   *
   * Caveat: an event Redis decided but the ledger had not committed when the
   * snapshot was read disappears from Redis (its deduction is not in the
   * snapshot). Rebuild while the family is idle, or let the next reconcile
   * repair it.
   */
  async rebuild(snapshot: FamilySnapshot): Promise<void> {
    const { familyId, period } = snapshot;
    const { numKeys, args } = this.hydrateArgs(snapshot);
    const transaction = this.redis.multi() as ScriptTransaction;
    transaction.del(
      this.keys.period(familyId, period),
      this.keys.members(familyId),
      ...snapshot.members.map((m) => this.keys.policy(familyId, m.customerId)),
    );
    transaction.usHydrate(numKeys, ...args);
    const results = await transaction.exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (!results || failed) {
      throw new TransientError(`rebuild of family ${familyId} period ${period} did not complete`, {
        cause: failed ?? undefined,
      });
    }
  }

  private hydrateArgs(snapshot: FamilySnapshot): { numKeys: number; args: string[] } {
    const body = {
      quota: String(snapshot.quotaBytes),
      // Exactly quota minus usage, negative when the quota was lowered below the usage: it blocks all the same.
      remaining: String(snapshot.quotaBytes - snapshot.familyUsedBytes),
      expireAt: this.periodExpiry(snapshot.period),
      policyTtl: this.settings.policySeconds,
      members: snapshot.members.map((m) => ({
        id: String(m.customerId),
        used: String(m.usedBytes),
        alerts: m.alerts,
        policy: {
          manual: m.policy.manualBlock ? 1 : 0,
          limit: m.policy.monthlyLimitBytes === null ? undefined : String(m.policy.monthlyLimitBytes),
          window: m.policy.blockWindow
            ? `${m.policy.blockWindow.start}-${m.policy.blockWindow.end}`
            : undefined,
          apps: m.policy.blockedApps,
        },
      })),
    };
    const policyKeys = snapshot.members.map((m) => this.keys.policy(snapshot.familyId, m.customerId));
    return {
      numKeys: 1 + policyKeys.length,
      args: [this.keys.period(snapshot.familyId, snapshot.period), ...policyKeys, JSON.stringify(body)],
    };
  }

  private periodExpiry(period: string): number {
    let at = this.expiries.get(period);
    if (at === undefined) {
      at = periodStateExpiry(period, this.settings.timeZone);
      this.expiries.set(period, at);
    }
    return at;
  }
}
