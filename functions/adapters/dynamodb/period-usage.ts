import type { SettlementWrite } from '../../core/settlement/records';
import { ZERO_RATED } from '../../core/status-effects';
import type { Period } from '../../core/time';
import { ledgerKeys } from './ledger-keys';

/**
 * A family's usage in a period, members included, lives in ONE item: the
 * family period item carries per-member attributes (used_<id>, alerts_<id>,
 * ...). A batch's settlements of a family then update one aggregate item per
 * period instead of one per member, which is what keeps write capacity per
 * settled event low (see ARCHITECTURE.md, "Throughput").
 */
export interface MemberPeriodUsage {
  readonly customerId: number;
  readonly usedBytes: number;
  readonly settledEvents: number;
  /** Usage of zero-rated apps: recorded, never charged. */
  readonly zeroRatedBytes: number;
  /** What corrections gave back of the member's usage (already taken off usedBytes). */
  readonly refundedBytes: number;
  readonly alerts: ReadonlyArray<string>;
  readonly blockedEvents: number;
  readonly blockReasons: ReadonlyArray<string>;
  readonly blockedApps: ReadonlyArray<string>;
  readonly lastBlock: { readonly reason: string; readonly eventId: string; readonly at: number } | null;
  /**
   * What the member's usage screen shows: the decision of its latest settled
   * event (in delivery order), or the block a family or policy change left it
   * in since ('NORMAL' when none); null before either.
   */
  readonly latestDecision: string | null;
  /** The commit stamp of the last commit that changed the member's screen; null before any. */
  readonly shownStampMs: number | null;
}

export interface PeriodUsage {
  readonly familyId: number;
  readonly period: Period;
  readonly usedBytes: number;
  readonly settledEvents: number;
  readonly members: ReadonlyMap<number, MemberPeriodUsage>;
  /** The period's quota, fixed when the item was created; null before any settlement or change. */
  readonly quotaBytes: number | null;
  /** The period's top-ups, added to the quota for the pool. */
  readonly topupBytes: number;
  /** Moves by one with every commit and every family or policy change that concerns the period. */
  readonly version: number;
  /** The commit stamp the last commit or change left (0: none). */
  readonly stampMs: number;
  /** The global revision whose changes the family took in this period; null: none yet. */
  readonly globalRevision: number | null;
  /** Epoch ms of the last settlement (0: none). */
  readonly lastSettledAt: number;
}

const MEMBER_ATTRIBUTES = {
  used: 'used_',
  settled: 'settled_',
  zeroRated: 'zeroRated_',
  refunded: 'refunded_',
  alerts: 'alerts_',
  blocked: 'blocked_',
  blockReasons: 'blockReasons_',
  blockedApps: 'blockedApps_',
  lastBlock: 'lastBlock_',
  latest: 'latest_',
  shown: 'shown_',
} as const;

const strings = (value: unknown): string[] =>
  value instanceof Set ? [...(value as Set<unknown>)].map(String).sort() : [];

export function readPeriodUsage(
  familyId: number,
  period: Period,
  item: Record<string, unknown> | undefined,
): PeriodUsage {
  const ids = new Set<number>();
  for (const name of Object.keys(item ?? {})) {
    const match = /^[a-zA-Z]+_(\d+)$/.exec(name);
    if (match) ids.add(Number(match[1]));
  }
  const at = (prefix: string, id: number) => item?.[`${prefix}${id}`];
  const members = new Map<number, MemberPeriodUsage>();
  for (const id of ids) {
    const last = at(MEMBER_ATTRIBUTES.lastBlock, id) as
      | { reason?: unknown; eventId?: unknown; at?: unknown }
      | undefined;
    members.set(id, {
      customerId: id,
      usedBytes: Number(at(MEMBER_ATTRIBUTES.used, id) ?? 0),
      settledEvents: Number(at(MEMBER_ATTRIBUTES.settled, id) ?? 0),
      zeroRatedBytes: Number(at(MEMBER_ATTRIBUTES.zeroRated, id) ?? 0),
      refundedBytes: Number(at(MEMBER_ATTRIBUTES.refunded, id) ?? 0),
      alerts: strings(at(MEMBER_ATTRIBUTES.alerts, id)),
      blockedEvents: Number(at(MEMBER_ATTRIBUTES.blocked, id) ?? 0),
      blockReasons: strings(at(MEMBER_ATTRIBUTES.blockReasons, id)),
      blockedApps: strings(at(MEMBER_ATTRIBUTES.blockedApps, id)),
      lastBlock: last
        ? { reason: String(last.reason), eventId: String(last.eventId), at: Number(last.at) }
        : null,
      latestDecision:
        typeof at(MEMBER_ATTRIBUTES.latest, id) === 'string'
          ? String(at(MEMBER_ATTRIBUTES.latest, id))
          : null,
      shownStampMs:
        at(MEMBER_ATTRIBUTES.shown, id) === undefined ? null : Number(at(MEMBER_ATTRIBUTES.shown, id)),
    });
  }
  return {
    familyId,
    period,
    usedBytes: Number(item?.usedBytes ?? 0),
    settledEvents: Number(item?.settledEvents ?? 0),
    members,
    quotaBytes: item?.quota === undefined ? null : Number(item.quota),
    topupBytes: Number(item?.topups ?? 0),
    version: Number(item?.ver ?? 0),
    stampMs: Number(item?.ts ?? 0),
    globalRevision: item?.grev === undefined ? null : Number(item.grev),
    lastSettledAt: Number(item?.lastSettledAt ?? 0),
  };
}

/**
 * The condition that fences a commit: the period item is still at the
 * version Redis decided from (absent counts as version 0).
 */
export function versionCondition(versionBefore: number): {
  ConditionExpression: string;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  return versionBefore === 0
    ? { ConditionExpression: 'attribute_not_exists(ver)' }
    : { ConditionExpression: 'ver = :ver', ExpressionAttributeValues: { ':ver': versionBefore } };
}

interface MemberDelta {
  used: number;
  settled: number;
  zeroRated: number;
  blocked: number;
  alerts: Set<string>;
  reasons: Set<string>;
  apps: Set<string>;
  lastBlock: { reason: string; eventId: string; at: number } | null;
  latest: string;
}

/**
 * The one UpdateItem that adds a group of settlements (same family, same
 * period) to the period item: family totals, every member's counters, block
 * states and alert markers. Its keys never change after the first write, so
 * the period index is written once per family and period.
 */
export function periodUsageUpdate(
  tableName: string,
  familyId: number,
  commit: {
    readonly period: Period;
    readonly versionBefore: number;
    readonly quotaBytes: number;
    readonly stampMs: number;
    readonly globalRevision: number;
  },
  writes: ReadonlyArray<SettlementWrite>,
  nowMs: number,
) {
  const { period } = commit;
  const deltas = new Map<number, MemberDelta>();
  let familyUsed = 0;
  let familySettled = 0;
  for (const { record } of writes) {
    const d =
      deltas.get(record.customerId) ??
      ({
        used: 0,
        settled: 0,
        zeroRated: 0,
        blocked: 0,
        alerts: new Set(),
        reasons: new Set(),
        apps: new Set(),
        lastBlock: null,
        latest: record.decision.status,
      } as MemberDelta);
    deltas.set(record.customerId, d);
    // The writes are in delivery order: the member's last one is its latest decision.
    d.latest = record.decision.status;
    for (const marker of record.decision.markers) d.alerts.add(marker);
    if (record.decision.status === ZERO_RATED) {
      d.zeroRated += record.bytesUsed;
    } else if (record.decision.counted) {
      d.used += record.bytesUsed;
      d.settled++;
      familyUsed += record.bytesUsed;
      familySettled++;
    } else {
      d.blocked++;
      d.reasons.add(record.decision.status);
      if (record.decision.status === 'APP_BLOCK' && record.appId) d.apps.add(record.appId);
      d.lastBlock = { reason: record.decision.status, eventId: record.eventId, at: record.settledAt };
    }
  }

  const adds: string[] = [];
  const sets = [
    'familyId = :f',
    '#period = :p',
    'updatedAt = :now',
    'lastSettledAt = :now',
    'GSI2PK = :periodKey',
    'GSI2SK = :f',
    'ver = :next',
    'ts = :ts',
    'grev = :grev',
    'quota = if_not_exists(quota, :quota)',
  ];
  const names: Record<string, string> = { '#period': 'period' };
  const fence = versionCondition(commit.versionBefore);
  const values: Record<string, unknown> = {
    ':f': familyId,
    ':p': period,
    ':now': nowMs,
    ':periodKey': ledgerKeys.periodFamiliesIndexPk(period),
    ':next': commit.versionBefore + 1,
    ':ts': commit.stampMs,
    ':grev': commit.globalRevision,
    ':quota': commit.quotaBytes,
    ...fence.ExpressionAttributeValues,
  };
  const add = (attribute: string, value: unknown) => {
    const i = adds.length;
    names[`#a${i}`] = attribute;
    values[`:a${i}`] = value;
    adds.push(`#a${i} :a${i}`);
  };
  if (familySettled > 0) {
    add('usedBytes', familyUsed);
    add('settledEvents', familySettled);
  }
  for (const [customerId, d] of deltas) {
    if (d.settled > 0) {
      add(`${MEMBER_ATTRIBUTES.used}${customerId}`, d.used);
      add(`${MEMBER_ATTRIBUTES.settled}${customerId}`, d.settled);
    }
    if (d.zeroRated > 0) add(`${MEMBER_ATTRIBUTES.zeroRated}${customerId}`, d.zeroRated);
    if (d.blocked > 0) {
      add(`${MEMBER_ATTRIBUTES.blocked}${customerId}`, d.blocked);
      add(`${MEMBER_ATTRIBUTES.blockReasons}${customerId}`, d.reasons);
    }
    if (d.apps.size > 0) add(`${MEMBER_ATTRIBUTES.blockedApps}${customerId}`, d.apps);
    if (d.alerts.size > 0) add(`${MEMBER_ATTRIBUTES.alerts}${customerId}`, d.alerts);
    if (d.lastBlock) {
      names[`#l${customerId}`] = `${MEMBER_ATTRIBUTES.lastBlock}${customerId}`;
      values[`:l${customerId}`] = d.lastBlock;
      sets.push(`#l${customerId} = :l${customerId}`);
    }
    const screen = screenUpdate(customerId, d.latest);
    Object.assign(names, screen.names);
    Object.assign(values, screen.values);
    sets.push(...screen.sets);
  }
  return {
    TableName: tableName,
    Key: ledgerKeys.familyPeriod(familyId, period),
    UpdateExpression: `${adds.length > 0 ? `ADD ${adds.join(', ')} ` : ''}SET ${sets.join(', ')}`,
    ConditionExpression: fence.ConditionExpression,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * The SET clauses that put a member's screen on the period item: what it
 * shows (`latest_<id>`) and that this commit changed it (`shown_<id>`, the
 * commit stamp, which the update sets as :ts). usage-snapshots publishes a
 * member exactly when the stream shows its `shown_<id>` moved.
 */
export function screenUpdate(customerId: number, shows: string) {
  const latest = `#latest${customerId}`;
  const shown = `#shown${customerId}`;
  return {
    names: {
      [latest]: `${MEMBER_ATTRIBUTES.latest}${customerId}`,
      [shown]: `${MEMBER_ATTRIBUTES.shown}${customerId}`,
    },
    values: { [`:latest${customerId}`]: shows },
    sets: [`${latest} = :latest${customerId}`, `${shown} = :ts`],
  };
}
