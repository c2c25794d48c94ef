/**
 * A pure reference model of the settlement decision rules, written from
 * docs/behaviour.md ("Decision rules") alone, independently of the product
 * code (deliberately not from lua/settle-lane.lua). The property tests run it side
 * by side with the real script, and the chaos suite replays every run's events
 * through it, comparing every decision.
 *
 * It models one family. It has no I/O, no clock and no randomness: the caller
 * states the event's period (`yyyyMM`) and local time of day (`HHmm`), and
 * applies family changes at the point of the event stream where they happened.
 */

export const THRESHOLD_LEVELS = ['WARNING_50', 'WARNING_30', 'WARNING_10'] as const;
export const BLOCK_STATUSES = [
  'MANUAL',
  'APP_BLOCK',
  'TIME_BLOCK',
  'MONTHLY_LIMIT_EXCEEDED',
  'FAMILY_QUOTA_EXCEEDED',
] as const;

export type ThresholdLevel = (typeof THRESHOLD_LEVELS)[number];
export type BlockStatus = (typeof BLOCK_STATUSES)[number];
export type ModelStatus = 'NORMAL' | ThresholdLevel | BlockStatus | 'ZERO_RATED';

/** The share (percent) below which a level applies, most severe last. */
const LEVEL_PERCENT: Readonly<Record<ThresholdLevel, number>> = {
  WARNING_50: 50,
  WARNING_30: 30,
  WARNING_10: 10,
};

export interface ModelWindow {
  /** HHmm */
  readonly start: string;
  /** HHmm */
  readonly end: string;
}

/** A member's policy as an owner would write it: app ids in any case, with any padding. */
export interface ModelPolicy {
  /** Monthly limit in bytes; null is unlimited. */
  readonly limit: number | null;
  readonly manual: boolean;
  readonly window: ModelWindow | null;
  readonly blockedApps: ReadonlyArray<string>;
  /** Apps whose usage is free: allowed, recorded, never charged. */
  readonly zeroRatedApps: ReadonlyArray<string>;
}

/** An alert already notified: per member and status, and for APP_BLOCK per app. */
export interface ModelAlert {
  readonly customerId: number;
  readonly status: ModelStatus;
  /** Only for APP_BLOCK (normalised); null otherwise. */
  readonly appId: string | null;
}

export interface ModelMemberStart {
  readonly customerId: number;
  readonly policy: ModelPolicy;
  /** Member usage already counted in the period when the model starts. */
  readonly usedBytes: number;
  readonly alerts: ReadonlyArray<ModelAlert>;
}

/** What a period starts from (what DynamoDB would hydrate Redis with). */
export interface ModelPeriodStart {
  readonly period: string;
  readonly quota: number;
  /** Data bought for the period so far (none when absent): the pool is quota + top-ups. */
  readonly topups?: number;
  readonly familyUsedBytes: number;
  readonly members: ReadonlyArray<ModelMemberStart>;
}

export interface ModelEvent {
  readonly eventId: string;
  readonly customerId: number;
  /** As the producer sent it; the model normalises it (trim + lower-case). */
  readonly appId: string | null;
  readonly bytes: number;
  /** Identity of the event time (epoch ms); part of the payload, not of the rules. */
  readonly eventTimeMs: number;
  /** yyyyMM of the event time in the settlement zone. */
  readonly period: string;
  /** HHmm of the event time in the settlement zone. */
  readonly hhmm: string;
}

export interface ModelDecision {
  readonly status: ModelStatus;
  readonly counted: boolean;
  readonly notify: boolean;
  readonly bytes: number;
  readonly customerId: number;
  /** Alerts this decision marked: the notified one and any skipped levels. */
  readonly markers: ReadonlyArray<ModelAlert>;
}

export type ModelResult =
  | { readonly kind: 'new'; readonly decision: ModelDecision }
  | { readonly kind: 'duplicate'; readonly decision: ModelDecision }
  | { readonly kind: 'conflict'; readonly decision: ModelDecision };

export interface ModelCorrection {
  readonly eventId: string;
  readonly customerId: number;
  readonly correctsEventId: string;
  readonly bytes: number;
  /** The correction's timestamp (epoch ms): with its eventId, its order among corrections of one event. */
  readonly timeMs: number;
  /** The oldest period its record accepts (none: any the model holds). */
  readonly oldestPeriod?: string;
}

export type ModelCorrectionResult =
  | { readonly kind: 'duplicate' }
  | {
      readonly kind: 'rejected';
      readonly reason:
        | 'UNKNOWN_EVENT'
        | 'CORRECTION_MISMATCH'
        | 'NOT_CORRECTABLE'
        | 'OUT_OF_WINDOW'
        | 'CORRECTION_INCREASES';
    }
  | {
      readonly kind: 'applied' | 'superseded';
      readonly unblocked: ReadonlyArray<{ readonly customerId: number; readonly reason: BlockStatus }>;
    };

export interface ModelPeriodView {
  readonly quota: number;
  readonly topups: number;
  readonly remaining: number;
  readonly used: ReadonlyMap<number, number>;
  /** Bytes of zero-rated usage per member. */
  readonly zeroRated: ReadonlyMap<number, number>;
  readonly alerts: ReadonlyArray<ModelAlert>;
}

interface PeriodState {
  readonly quota: number;
  topups: number;
  remaining: number;
  readonly used: Map<number, number>;
  readonly zeroRated: Map<number, number>;
  /** Keys from alertKey(). */
  readonly alerts: Map<string, ModelAlert>;
}

interface NormalisedPolicy {
  readonly limit: number | null;
  readonly manual: boolean;
  readonly window: { readonly start: number; readonly end: number } | null;
  readonly blockedApps: ReadonlySet<string>;
  readonly zeroRatedApps: ReadonlySet<string>;
}

/** App ids are normalised by trim + lower-case, everywhere; blank is no app. */
export function normaliseApp(appId: string | null | undefined): string | null {
  if (appId === null || appId === undefined) return null;
  const normalised = appId.trim().toLowerCase();
  return normalised === '' ? null : normalised;
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(2, 4));

/** TIME_BLOCK: start < end: start <= t < end; start > end (overnight): t >= start or t < end; equal: all day. */
export function insideWindow(window: { start: number; end: number }, t: number): boolean {
  if (window.start < window.end) return window.start <= t && t < window.end;
  if (window.start > window.end) return t >= window.start || t < window.end;
  return true;
}

/** Thresholds, in exact integer arithmetic: the most severe level whose share the remainder is below. */
export function thresholdOf(remaining: number, quota: number): 'NORMAL' | ThresholdLevel {
  const r = BigInt(remaining) * 100n;
  const q = BigInt(quota);
  if (r < q * 10n) return 'WARNING_10';
  if (r < q * 30n) return 'WARNING_30';
  if (r < q * 50n) return 'WARNING_50';
  return 'NORMAL';
}

const alertKey = (a: ModelAlert): string => `${a.customerId}\u0000${a.status}\u0000${a.appId ?? ''}`;

const identityOf = (e: ModelEvent): string =>
  JSON.stringify([e.eventId, e.eventTimeMs, e.customerId, normaliseApp(e.appId), e.bytes]);

/** A policy key, as the policy events name them. */
export type ModelPolicyKey =
  | 'LIMIT:DATA:MONTHLY'
  | 'BLOCK:ACCESS'
  | 'BLOCK:TIME'
  | 'BLOCK:APP'
  | 'ZERO_RATE:APP';

/** A block a policy change starts or lifts on its own; what the member is told. */
export interface ModelRetroactive {
  readonly customerId: number;
  readonly type: 'CUSTOMER_BLOCKED' | 'CUSTOMER_UNBLOCKED';
  readonly reason: 'MANUAL' | 'MONTHLY_LIMIT_EXCEEDED';
}

/** What a top-up did: applied (and whom it unblocked), or nothing (a replay), or refused (same id, other bytes). */
export interface ModelTopup {
  readonly kind: 'applied' | 'duplicate' | 'conflict';
  /** Members told their empty-pool block is lifted. */
  readonly unblocked: ReadonlyArray<number>;
}

export const NO_MODEL_POLICY: ModelPolicy = {
  limit: null,
  manual: false,
  window: null,
  blockedApps: [],
  zeroRatedApps: [],
};

/** Whether a level has a value for a key (an absent value lets the level below show through). */
function hasValue(policy: ModelPolicy, key: ModelPolicyKey): boolean {
  switch (key) {
    case 'LIMIT:DATA:MONTHLY':
      return policy.limit !== null;
    case 'BLOCK:ACCESS':
      return policy.manual;
    case 'BLOCK:TIME':
      return policy.window !== null;
    case 'BLOCK:APP':
      return policy.blockedApps.some((a) => normaliseApp(a) !== null);
    case 'ZERO_RATE:APP':
      return policy.zeroRatedApps.some((a) => normaliseApp(a) !== null);
  }
}

function withKey(policy: ModelPolicy, key: ModelPolicyKey, from: ModelPolicy): ModelPolicy {
  switch (key) {
    case 'LIMIT:DATA:MONTHLY':
      return { ...policy, limit: from.limit };
    case 'BLOCK:ACCESS':
      return { ...policy, manual: from.manual };
    case 'BLOCK:TIME':
      return { ...policy, window: from.window };
    case 'BLOCK:APP':
      return { ...policy, blockedApps: from.blockedApps };
    case 'ZERO_RATE:APP':
      return { ...policy, zeroRatedApps: from.zeroRatedApps };
  }
}

const KEYS: ReadonlyArray<ModelPolicyKey> = [
  'LIMIT:DATA:MONTHLY',
  'BLOCK:ACCESS',
  'BLOCK:TIME',
  'BLOCK:APP',
  'ZERO_RATE:APP',
];

export class SettlementModel {
  /** Each member's own policy level, kept when the member leaves (a member who joins again has it back). */
  private readonly memberLevels = new Map<number, ModelPolicy>();
  private readonly members = new Set<number>();
  private familyLevel: ModelPolicy = NO_MODEL_POLICY;
  private globalLevel: ModelPolicy = NO_MODEL_POLICY;
  private readonly periods = new Map<string, PeriodState>();
  private readonly decided = new Map<string, { identity: string; decision: ModelDecision; period: string }>();
  /** Per corrected event: what it counts now and the version (time, then eventId) of the correction that set it. */
  private readonly counts = new Map<string, { bytes: number; version: readonly [number, string] }>();
  /** Corrections taken, by their eventId. */
  private readonly corrections = new Set<string>();
  /** Events rejected because their customer was not a member: recorded, counted nothing. */
  private readonly notMembers = new Set<string>();
  /** Top-ups taken, by topupId: their bytes. */
  private readonly topups = new Map<string, number>();

  /**
   * @param starts one entry per period the family has state for. Policies are
   *   per member, not per period: the first entry's policies are used.
   */
  constructor(starts: ReadonlyArray<ModelPeriodStart>) {
    for (const start of starts) {
      if (this.periods.has(start.period)) throw new Error(`period ${start.period} given twice`);
      const used = new Map<number, number>();
      const alerts = new Map<string, ModelAlert>();
      for (const m of start.members) {
        used.set(m.customerId, m.usedBytes);
        for (const a of m.alerts) {
          const alert = { ...a, appId: a.status === 'APP_BLOCK' ? normaliseApp(a.appId) : null };
          alerts.set(alertKey(alert), alert);
        }
        if (!this.memberLevels.has(m.customerId)) this.memberLevels.set(m.customerId, m.policy);
        this.members.add(m.customerId);
      }
      // docs/behaviour.md does not say how a period's counters start; the model keeps the
      // invariant remaining = quota - family used, negative for an overdrawn family
      // (which then blocks every event, as 0 would).
      this.periods.set(start.period, {
        quota: start.quota,
        topups: start.topups ?? 0,
        remaining: start.quota + (start.topups ?? 0) - start.familyUsedBytes,
        used,
        zeroRated: new Map(),
        alerts,
      });
    }
  }

  decide(event: ModelEvent): ModelResult {
    // 1. Dedup before anything else: same payload is a duplicate, another payload a conflict.
    const identity = identityOf(event);
    const previous = this.decided.get(event.eventId);
    if (previous) {
      return previous.identity === identity
        ? { kind: 'duplicate', decision: previous.decision }
        : { kind: 'conflict', decision: previous.decision };
    }

    const state = this.periods.get(event.period);
    if (!state) throw new Error(`model has no state for period ${event.period}`);
    if (!this.isMember(event.customerId)) throw new Error(`customer ${event.customerId} is not a member`);
    const policy = normalisePolicy(this.effective(event.customerId));
    const used = state.used.get(event.customerId) ?? 0;
    const app = normaliseApp(event.appId);

    // 2. Blocks, first match wins, nothing deducted: those of the policy alone, then (unless the
    // app is zero-rated, which is charged to nothing) those of what is left.
    const zeroRated = app !== null && policy.zeroRatedApps.has(app);
    const block =
      policyBlock(policy, app, minutesOf(event.hhmm)) ??
      (zeroRated ? null : amountBlock(policy, used, event.bytes, state.remaining));
    let decision: ModelDecision;
    if (block === null && zeroRated) {
      // Recorded and counted as the member's free usage; no pool, no limit, no threshold, no alert.
      state.zeroRated.set(event.customerId, (state.zeroRated.get(event.customerId) ?? 0) + event.bytes);
      decision = {
        status: 'ZERO_RATED',
        counted: false,
        notify: false,
        bytes: event.bytes,
        customerId: event.customerId,
        markers: [],
      };
    } else if (block !== null) {
      const alert: ModelAlert = {
        customerId: event.customerId,
        status: block,
        appId: block === 'APP_BLOCK' ? app : null,
      };
      const notify = this.mark(state, alert);
      decision = {
        status: block,
        counted: false,
        notify,
        bytes: event.bytes,
        customerId: event.customerId,
        markers: notify ? [alert] : [],
      };
    } else {
      // 3. Deduct.
      state.remaining -= event.bytes;
      state.used.set(event.customerId, used + event.bytes);
      // 4. Thresholds on the remaining share after deduction; 5. alert dedup.
      const status = thresholdOf(state.remaining, state.quota + state.topups);
      let notify = false;
      const markers: ModelAlert[] = [];
      if (status !== 'NORMAL') {
        // The reached level is notified the first time; every less severe level
        // the member was never alerted about counts as skipped and is marked too.
        for (const level of THRESHOLD_LEVELS) {
          if (LEVEL_PERCENT[level] < LEVEL_PERCENT[status]) break;
          const alert: ModelAlert = { customerId: event.customerId, status: level, appId: null };
          const fresh = this.mark(state, alert);
          if (fresh) markers.push(alert);
          if (level === status) notify = fresh;
        }
      }
      decision = {
        status,
        counted: true,
        notify,
        bytes: event.bytes,
        customerId: event.customerId,
        markers,
      };
    }
    // 6. Cache the decision under the eventId.
    this.decided.set(event.eventId, { identity, decision, period: event.period });
    return { kind: 'new', decision };
  }

  /**
   * A correction of a settled event, written from docs/behaviour.md
   * ("Corrections"): once by its eventId; only of a counted event of the same
   * customer; never to more than the event counts now; a correction not
   * newer than the event's last one changes nothing. Applied, the event
   * counts the new amount and the family and member get the difference back;
   * blocks the refund ends are lifted and warnings re-armed, as a top-up does.
   * (A family mismatch and the window are the harness's to judge: the model
   * holds one family and does not know when records were written.)
   */
  correct(c: ModelCorrection): ModelCorrectionResult {
    if (this.corrections.has(c.eventId)) return { kind: 'duplicate' };
    if (this.notMembers.has(c.correctsEventId)) return { kind: 'rejected', reason: 'NOT_CORRECTABLE' };
    const original = this.decided.get(c.correctsEventId);
    if (!original) return { kind: 'rejected', reason: 'UNKNOWN_EVENT' };
    if (original.decision.customerId !== c.customerId)
      return { kind: 'rejected', reason: 'CORRECTION_MISMATCH' };
    if (!original.decision.counted) return { kind: 'rejected', reason: 'NOT_CORRECTABLE' };
    if (c.oldestPeriod !== undefined && original.period < c.oldestPeriod) {
      return { kind: 'rejected', reason: 'OUT_OF_WINDOW' };
    }
    const current = this.counts.get(c.correctsEventId);
    const counted = current?.bytes ?? original.decision.bytes;
    if (c.bytes > counted) return { kind: 'rejected', reason: 'CORRECTION_INCREASES' };
    this.corrections.add(c.eventId);
    const newer =
      !current ||
      c.timeMs > current.version[0] ||
      (c.timeMs === current.version[0] && c.eventId > current.version[1]);
    if (!newer) return { kind: 'superseded', unblocked: [] };
    this.counts.set(c.correctsEventId, { bytes: c.bytes, version: [c.timeMs, c.eventId] });
    const refund = counted - c.bytes;
    const state = this.periods.get(original.period);
    if (refund === 0 || !state) return { kind: 'applied', unblocked: [] };
    state.remaining += refund;
    const used = (state.used.get(c.customerId) ?? 0) - refund;
    state.used.set(c.customerId, used);
    const unblocked: Array<{ customerId: number; reason: BlockStatus }> = [];
    for (const customerId of [...this.members].sort((a, b) => a - b)) {
      const limit = this.effective(customerId).limit;
      const ends: BlockStatus[] = [];
      if (state.remaining > 0) ends.push('FAMILY_QUOTA_EXCEEDED');
      if (customerId === c.customerId && (limit === null || used < limit))
        ends.push('MONTHLY_LIMIT_EXCEEDED');
      for (const reason of ends) {
        if (state.alerts.delete(alertKey({ customerId, status: reason, appId: null }))) {
          unblocked.push({ customerId, reason });
        }
      }
    }
    const pool = BigInt(state.quota + state.topups);
    for (const [key, alert] of state.alerts) {
      const level = THRESHOLD_LEVELS.find((l) => l === alert.status);
      if (level && BigInt(state.remaining) * 100n >= pool * BigInt(LEVEL_PERCENT[level])) {
        state.alerts.delete(key);
      }
    }
    return { kind: 'applied', unblocked };
  }

  /** Whether an eventId was decided before: its next delivery is a duplicate (or a conflict), member or not. */
  hasDecided(eventId: string): boolean {
    return this.decided.has(eventId);
  }

  /** An event refused because its customer was not a member: a correction of it is refused too. */
  notAMember(eventId: string): void {
    if (!this.decided.has(eventId)) this.notMembers.add(eventId);
  }

  isMember(customerId: number): boolean {
    return this.members.has(customerId);
  }

  /** The member leaves: from now on its events are not the family's. Its usage stays counted. */
  removeMember(customerId: number): void {
    this.members.delete(customerId);
  }

  /** A customer joins (again), with its own level as it was when it left, or none. */
  addMember(customerId: number): void {
    this.members.add(customerId);
  }

  /** The policy that decides a member's events: per key the member's value, else the family's, else the global. */
  effective(customerId: number): ModelPolicy {
    const member = this.memberLevels.get(customerId) ?? NO_MODEL_POLICY;
    let policy = NO_MODEL_POLICY;
    for (const key of KEYS) {
      const from = [member, this.familyLevel, this.globalLevel].find((level) => hasValue(level, key));
      if (from) policy = withKey(policy, key, from);
    }
    return policy;
  }

  /**
   * A policy change at one level (a member's, the family's, or the global
   * default). For the members it reaches (the member; every member of the
   * family for a family-wide or global value) it may start or lift a manual
   * block or a monthly-limit block right away, judged against their usage in
   * the current period: each is told once (per reason and period), and a
   * lifted block forgets that it was told, so a later one is told again.
   */
  setPolicy(
    target: 'GLOBAL' | 'FAMILY' | number,
    key: ModelPolicyKey,
    value: ModelPolicy,
    currentPeriod: string,
  ): ModelRetroactive[] {
    const members = typeof target === 'number' ? [target] : [...this.members];
    const before = new Map(members.map((c) => [c, this.effective(c)]));
    if (target === 'GLOBAL') this.globalLevel = withKey(this.globalLevel, key, value);
    else if (target === 'FAMILY') this.familyLevel = withKey(this.familyLevel, key, value);
    else this.memberLevels.set(target, withKey(this.memberLevels.get(target) ?? NO_MODEL_POLICY, key, value));
    const state = this.periods.get(currentPeriod);
    const told: ModelRetroactive[] = [];
    for (const customerId of members) {
      const was = before.get(customerId) as ModelPolicy;
      const is = this.effective(customerId);
      const used = state?.used.get(customerId) ?? 0;
      for (const reason of ['MANUAL', 'MONTHLY_LIMIT_EXCEEDED'] as const) {
        const blocks = (p: ModelPolicy) =>
          reason === 'MANUAL' ? p.manual : p.limit !== null && p.limit <= used;
        const alert: ModelAlert = { customerId, status: reason, appId: null };
        if (!blocks(was) && blocks(is)) {
          if (state && this.mark(state, alert)) told.push({ customerId, type: 'CUSTOMER_BLOCKED', reason });
        } else if (blocks(was) && !blocks(is)) {
          told.push({ customerId, type: 'CUSTOMER_UNBLOCKED', reason });
          state?.alerts.delete(alertKey(alert));
        }
      }
    }
    return told;
  }

  /**
   * Data bought for a period, taken once per topupId: the same id with the
   * same bytes again changes nothing; with other bytes it is refused. The pool
   * grows at once. If the pool has data again, every member blocked because it
   * was empty is told the block is lifted and will be told of the next one;
   * and every warning level the family is no longer below can be told again.
   */
  addTopup(period: string, topupId: string, bytes: number): ModelTopup {
    const known = this.topups.get(topupId);
    if (known !== undefined) return { kind: known === bytes ? 'duplicate' : 'conflict', unblocked: [] };
    const state = this.periods.get(period);
    if (!state) throw new Error(`model has no state for period ${period}`);
    this.topups.set(topupId, bytes);
    state.topups += bytes;
    state.remaining += bytes;
    const unblocked: number[] = [];
    if (state.remaining > 0) {
      for (const customerId of this.members) {
        const key = alertKey({ customerId, status: 'FAMILY_QUOTA_EXCEEDED', appId: null });
        if (state.alerts.delete(key)) unblocked.push(customerId);
      }
    }
    const pool = BigInt(state.quota + state.topups);
    for (const [key, alert] of state.alerts) {
      const level = THRESHOLD_LEVELS.find((l) => l === alert.status);
      if (level && BigInt(state.remaining) * 100n >= pool * BigInt(LEVEL_PERCENT[level])) {
        state.alerts.delete(key);
      }
    }
    return { kind: 'applied', unblocked: unblocked.sort((a, b) => a - b) };
  }

  /** A new quota: from the current period on the pool is the new quota minus what is used; earlier periods keep theirs. */
  setQuota(quota: number, currentPeriod: string): void {
    for (const [period, state] of [...this.periods]) {
      if (period < currentPeriod) continue;
      this.periods.set(period, { ...state, quota, remaining: state.remaining + (quota - state.quota) });
    }
  }

  period(period: string): ModelPeriodView {
    const state = this.periods.get(period);
    if (!state) throw new Error(`model has no state for period ${period}`);
    return {
      quota: state.quota,
      topups: state.topups,
      remaining: state.remaining,
      used: new Map(state.used),
      zeroRated: new Map(state.zeroRated),
      alerts: [...state.alerts.values()],
    };
  }

  periodIds(): string[] {
    return [...this.periods.keys()];
  }

  /** Member usage already counted in a period (0 for an unknown member). */
  usedBy(period: string, customerId: number): number {
    return this.periods.get(period)?.used.get(customerId) ?? 0;
  }

  /** The member's effective monthly limit; null is unlimited. */
  limitOf(customerId: number): number | null {
    return this.effective(customerId).limit;
  }

  /** Marks an alert; true when it was not marked before (a notification is due). */
  private mark(state: PeriodState, alert: ModelAlert): boolean {
    const key = alertKey(alert);
    if (state.alerts.has(key)) return false;
    state.alerts.set(key, alert);
    return true;
  }
}

function normalisePolicy(policy: ModelPolicy): NormalisedPolicy {
  const appSet = (list: ReadonlyArray<string>) => {
    const apps = new Set<string>();
    for (const raw of list) {
      const app = normaliseApp(raw);
      if (app !== null) apps.add(app);
    }
    return apps;
  };
  return {
    limit: policy.limit,
    manual: policy.manual,
    window: policy.window
      ? { start: minutesOf(policy.window.start), end: minutesOf(policy.window.end) }
      : null,
    blockedApps: appSet(policy.blockedApps),
    zeroRatedApps: appSet(policy.zeroRatedApps),
  };
}

function policyBlock(policy: NormalisedPolicy, app: string | null, minuteOfDay: number): BlockStatus | null {
  if (policy.manual) return 'MANUAL';
  if (app !== null && policy.blockedApps.has(app)) return 'APP_BLOCK';
  if (policy.window !== null && insideWindow(policy.window, minuteOfDay)) return 'TIME_BLOCK';
  return null;
}

function amountBlock(
  policy: NormalisedPolicy,
  used: number,
  bytes: number,
  remaining: number,
): BlockStatus | null {
  if (policy.limit !== null && BigInt(used) + BigInt(bytes) > BigInt(policy.limit)) {
    return 'MONTHLY_LIMIT_EXCEEDED';
  }
  if (remaining < bytes) return 'FAMILY_QUOTA_EXCEEDED';
  return null;
}
