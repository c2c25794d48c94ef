import { randomBytes } from 'node:crypto';
import type { PeriodEdit } from '../../core/changes/plan-change';
import type { ChangeCache } from '../../core/changes/ports';
import type { MemberPolicy, PeriodSnapshot } from '../../core/family';
import type { LaneReply } from '../../core/settlement/decision';
import type {
  ConfirmedEvent,
  ConfirmedVersions,
  DecideContext,
  LaneEvent,
  OwnedPending,
  UsageCache,
} from '../../core/settlement/ports';
import { periodStateExpiry } from '../../core/time';
import type { RedisClient } from './client';
import { type RedisKeys, redisKeys } from './keys';
import { editFields, FIELD, type PeriodState, readPeriodState, snapshotFields } from './period-fields';
import { parseLaneReply, registerScripts, type ScriptCall, type ScriptCommands } from './settlement-scripts';

export interface UsageCacheSettings {
  readonly keyPrefix: string;
  readonly timeZone: string;
  /** How long an event's settled mark lives after the ledger committed it. */
  readonly dedupWindowSeconds: number;
}

/** The Redis side of settlement: the families' period states and the settled marks. */
export class RedisUsageCache implements UsageCache, ChangeCache {
  readonly keys: RedisKeys;
  private readonly redis: RedisClient & ScriptCommands;

  constructor(
    client: RedisClient,
    private readonly settings: UsageCacheSettings,
  ) {
    this.redis = registerScripts(client);
    this.keys = redisKeys(settings.keyPrefix);
  }

  async decideLane(
    familyId: number,
    events: ReadonlyArray<LaneEvent>,
    context: DecideContext,
    owned: OwnedPending = new Map(),
  ): Promise<LaneReply> {
    const periods = [...new Set(events.map((e) => e.event.period))];
    const reply = await this.redis.usSettleLane(...this.laneCall(familyId, periods, events, context, owned));
    return parseLaneReply(reply, periods);
  }

  async hydrate(snapshot: PeriodSnapshot): Promise<void> {
    await this.redis.usHydratePeriod(
      1,
      this.keys.period(snapshot.familyId, snapshot.period),
      String(this.periodExpiry(snapshot.period)),
      ...snapshotFields(snapshot),
      FIELD.incarnation,
      randomBytes(8).toString('hex'),
    );
  }

  async confirm(
    familyId: number,
    period: string,
    versions: ConfirmedVersions,
    events: ReadonlyArray<ConfirmedEvent>,
  ): Promise<void> {
    await this.redis.usConfirmLane(
      1 + events.length,
      this.keys.period(familyId, period),
      ...events.map((e) => this.keys.settled(familyId, e.eventId)),
      String(versions.before),
      String(versions.after),
      versions.incarnation,
      String(this.settings.dedupWindowSeconds),
      String(versions.stampMs),
      ...events.flatMap((e) =>
        e.rejectedAtVersion === undefined
          ? [e.eventId, e.payloadHash, '1']
          : [e.eventId, `R:${e.rejectedAtVersion}:${e.payloadHash}`, '0'],
      ),
    );
  }

  async applyChange(familyId: number, edits: ReadonlyArray<PeriodEdit>): Promise<void> {
    const args: string[] = [];
    for (const edit of edits) {
      const { set, del } = editFields(edit);
      args.push(
        String(edit.versionBefore),
        String(edit.versionBefore + 1),
        String(edit.remainingDelta),
        String(set.length / 2),
        ...set,
        String(del.length),
        ...del,
      );
    }
    await this.redis.usApplyChange(
      edits.length,
      ...edits.map((e) => this.keys.period(familyId, e.period)),
      ...args,
    );
  }

  async invalidate(familyId: number, periods: ReadonlyArray<string>): Promise<void> {
    if (periods.length === 0) return;
    await this.redis.del(...periods.map((p) => this.keys.period(familyId, p)));
  }

  /** Drops the remembered rejection of an event (its mark starts with 'R:'), so it is decided again. */
  async forgetRejection(familyId: number, eventId: string): Promise<void> {
    const key = this.keys.settled(familyId, eventId);
    if ((await this.redis.get(key))?.startsWith('R:')) await this.redis.del(key);
  }

  /** A family's period state as Redis holds it; null when absent (the next event loads it). */
  async periodState(familyId: number, period: string): Promise<PeriodState | null> {
    return readPeriodState(await this.redis.hgetall(this.keys.period(familyId, period)));
  }

  private laneCall(
    familyId: number,
    periods: ReadonlyArray<string>,
    events: ReadonlyArray<LaneEvent>,
    context: DecideContext,
    owned: OwnedPending,
  ): ScriptCall {
    const index = new Map(periods.map((p, i) => [p, i + 1]));
    const keys = [
      ...periods.map((p) => this.keys.period(familyId, p)),
      ...events.map((e) => this.keys.settled(familyId, e.event.eventId)),
    ];
    const args = [
      String(periods.length),
      String(events.length),
      String(Math.floor(context.verifyBeforeMs)),
      String(Math.floor(context.clockMarginMs)),
      ...globalPolicyArgs(context.globalPolicy),
      String(context.globalRevision),
      ...periods.map((p) => String(this.periodExpiry(p))),
      ...periods.map((p) => String(owned.get(p) ?? 0)),
    ];
    for (const { event, recordTimestampMs, checked } of events) {
      args.push(
        String(index.get(event.period)),
        event.eventId,
        String(event.customerId),
        event.appId ?? '',
        String(event.bytesUsed),
        event.localHhmm,
        event.payloadHash,
        String(Number.isSafeInteger(recordTimestampMs) ? recordTimestampMs : 0),
        checked ? '1' : '0',
      );
    }
    return [keys.length, ...keys, ...args];
  }

  /** Redis expires keys by its own clock, so this is read from the wall clock, not the settlement clock. */
  private periodExpiry(period: string): number {
    return periodStateExpiry(period, this.settings.timeZone, Date.now());
  }
}

function globalPolicyArgs(policy: MemberPolicy): [string, string, string, string, string] {
  const apps = (list: ReadonlyArray<string>) => (list.length > 0 ? JSON.stringify(list) : '');
  return [
    policy.monthlyLimitBytes === null ? '' : String(policy.monthlyLimitBytes),
    policy.manualBlock ? '1' : '',
    policy.blockWindow ? `${policy.blockWindow.start}-${policy.blockWindow.end}` : '',
    apps(policy.blockedApps),
    apps(policy.zeroRatedApps),
  ];
}
