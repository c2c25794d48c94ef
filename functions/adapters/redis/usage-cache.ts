import type { Decision, ScriptResult } from '../../core/decision';
import type { FamilySnapshot } from '../../core/family';
import type { Membership, UsageCache } from '../../core/ports';
import { periodStateExpiry } from '../../core/time';
import type { UsageEvent } from '../../core/usage-event';
import type { RedisClient } from './client';
import { type RedisKeys, redisKeys } from './keys';
import { encodeDecision, parseSettleReply, registerScripts, type ScriptCommands } from './settlement-scripts';

export interface UsageCacheSettings {
  readonly keyPrefix: string;
  readonly timeZone: string;
  readonly dedupWindowSeconds: number;
  readonly membershipSeconds: number;
  readonly nonMemberSeconds: number;
  readonly policySeconds: number;
}

/** The Redis side of settlement: membership cache and the three settlement scripts. */
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
    const body = {
      quota: String(snapshot.quotaBytes),
      remaining: String(Math.max(0, snapshot.quotaBytes - snapshot.familyUsedBytes)),
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
    await this.redis.usHydrate(
      1 + policyKeys.length,
      this.keys.period(snapshot.familyId, snapshot.period),
      ...policyKeys,
      JSON.stringify(body),
    );
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

  private periodExpiry(period: string): number {
    let at = this.expiries.get(period);
    if (at === undefined) {
      at = periodStateExpiry(period, this.settings.timeZone);
      this.expiries.set(period, at);
    }
    return at;
  }
}
