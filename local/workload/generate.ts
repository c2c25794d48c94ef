import { localParts, periodOf, periodStart, zonedToEpoch } from '../../functions/core/time';
import { type Random, seededRandom, zipfSampler } from './random';

export interface WorkloadOptions {
  readonly seed: number;
  readonly families: number;
  readonly membersPerFamily: readonly [number, number];
  readonly events: number;
  readonly zipfS: number;
  readonly duplicateRate: number;
  readonly malformedRate: number;
  readonly skipRate: number;
  readonly nightShare: number;
  /** Share of families sized to run out of quota, and to cross a threshold without running out. */
  readonly runOutShare: number;
  readonly crossShare: number;
  /** With policies: manual blocks, night windows, blocked apps, monthly limits. */
  readonly policies: boolean;
  readonly timeZone: string;
  readonly nowMs: number;
  readonly firstFamilyId: number;
  /** Share of events from the last days of the previous month (families that span the boundary). */
  readonly previousPeriodShare?: number;
  /**
   * Share of events from the last days of the month before the previous one,
   * in records written in the last days of the previous month: a late batch,
   * still accepted, in the oldest month usage takes.
   */
  readonly olderPeriodShare?: number;
  /** Share of events stamped this far after their record was written (`aheadMs`): beyond the clock skew, refused. */
  readonly ahead?: { readonly share: number; readonly aheadMs: number };
  /** Where event times are drawn from; by default the current period up to a minute before nowMs. */
  readonly eventTimes?: TimeSpan;
  /** With policies: share of members with a zero-rated app, whose usage of it is never charged. */
  readonly zeroRatedShare?: number;
}

export interface TimeSpan {
  readonly fromMs: number;
  /** Exclusive: every event time is at least a minute before it. */
  readonly toMs: number;
}

export const DEMO_WORKLOAD: Omit<WorkloadOptions, 'nowMs'> = {
  seed: 20261121,
  families: 40,
  membersPerFamily: [2, 5],
  events: 5_000,
  zipfS: 1.1,
  duplicateRate: 0.02,
  malformedRate: 0.005,
  skipRate: 0.005,
  nightShare: 0.2,
  runOutShare: 0.05,
  crossShare: 0.3,
  policies: true,
  timeZone: 'Asia/Seoul',
  firstFamilyId: 101,
};

export interface GeneratedEvent {
  /** The Kafka key: the familyId as a decimal string (null for some malformed records). */
  readonly key: string | null;
  /** The Kafka value: a JSON envelope, or deliberately malformed bytes. */
  readonly value: string | null;
  readonly kind: 'usage' | 'duplicate' | 'malformed' | 'skip' | 'ahead';
  /** The record's Kafka timestamp, when it is not when the workload was produced. */
  readonly writtenAtMs?: number;
}

/** A demo family, in the shape a family file or a FAMILY_UPSERTED payload carries. */
export interface WorkloadFamily {
  readonly familyId: number;
  readonly name: string;
  readonly quotaBytes: number;
  readonly members: ReadonlyArray<{
    readonly customerId: number;
    readonly role: 'OWNER' | 'MEMBER';
    readonly policy: Record<string, unknown>;
  }>;
}

export interface Workload {
  readonly families: ReadonlyArray<WorkloadFamily>;
  readonly events: ReadonlyArray<GeneratedEvent>;
}

const APPS = ['com.youtube.app', 'com.netflix.mediaclient', 'com.instagram.android', 'com.kakao.talk'];
const MiB = 1024 * 1024;

/** Mixed case on purpose: policies and events must be normalised by the same rule. */
const shout = (app: string, random: Random) =>
  [...app].map((c) => (random.chance(0.3) ? c.toUpperCase() : c)).join('');

function memberIds(familyId: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => familyId * 100 + i + 1);
}

/**
 * A realistic usage stream over demo families: skewed family activity (Zipf),
 * heavy and light members, apps, night-time use, families that run out,
 * duplicate redeliveries, malformed records and other event types.
 */
export function generateWorkload(options: WorkloadOptions): Workload {
  const random = seededRandom(options.seed);
  const zipf = zipfSampler(options.families, options.zipfS, random);
  const times = options.eventTimes ?? {
    fromMs: periodStart(periodOf(options.nowMs, options.timeZone), options.timeZone),
    toMs: options.nowMs,
  };
  const span = Math.max(60_000, times.toMs - 60_000 - times.fromMs);
  const meanEventBytes = 8 * MiB;

  const families = Array.from({ length: options.families }, (_, rank): WorkloadFamily => {
    const familyId = options.firstFamilyId + rank;
    const ids = memberIds(familyId, random.int(...options.membersPerFamily));
    const expected = options.events * (zipf.weights[rank] ?? 0) * meanEventBytes;
    const roll = random.next();
    const factor =
      roll < options.runOutShare
        ? 0.5
        : roll < options.runOutShare + options.crossShare
          ? 1.4
          : 4 + random.next() * 4;
    const quotaBytes = Math.max(64 * MiB, Math.round(expected * factor));
    return {
      familyId,
      name: `Family ${familyId}`,
      quotaBytes,
      members: ids.map((customerId, i) => ({
        customerId,
        role: i === 0 ? ('OWNER' as const) : ('MEMBER' as const),
        policy:
          options.policies && i > 0 ? randomPolicy(random, quotaBytes, options.zeroRatedShare ?? 0) : {},
      })),
    };
  });

  /** Events a producer may send again, with when their record was written (a retry follows soon after). */
  const envelopes: Array<{ envelope: Record<string, unknown>; writtenAtMs?: number }> = [];
  const events: GeneratedEvent[] = [];
  for (let n = 0; n < options.events; n++) {
    const family = families[zipf.sample()] as (typeof families)[number];
    const familyKey = String(family.familyId);
    const roll = random.next();
    if (roll < options.duplicateRate && envelopes.length > 0) {
      const earlier = envelopes[
        Math.max(0, envelopes.length - random.int(1, 50))
      ] as (typeof envelopes)[number];
      const key = String((earlier.envelope.payload as { familyId: number }).familyId);
      events.push({
        key,
        value: JSON.stringify(earlier.envelope),
        kind: 'duplicate',
        ...(earlier.writtenAtMs === undefined ? {} : { writtenAtMs: earlier.writtenAtMs }),
      });
      continue;
    }
    if (roll < options.duplicateRate + options.malformedRate) {
      events.push({ key: familyKey, value: malformed(random, family, times.toMs), kind: 'malformed' });
      continue;
    }
    const member = random.pick(family.members);
    const heavy = member.customerId % 3 === 1;
    const late = lateRecord(random, options);
    const ahead = options.ahead && random.chance(options.ahead.share) ? options.ahead.aheadMs : null;
    const envelope = {
      eventId: `evt-${options.seed}-${n}`,
      eventType:
        roll < options.duplicateRate + options.malformedRate + options.skipRate
          ? 'VOICE_USAGE'
          : 'DATA_USAGE',
      subType: 'MOBILE',
      timestamp:
        late?.eventTime ??
        (ahead === null
          ? eventTime(random, times, span, options)
          : new Date(options.nowMs + ahead).toISOString()),
      payload: {
        familyId: family.familyId,
        customerId: member.customerId,
        appId: random.chance(0.85) ? shout(random.pick(APPS), random) : null,
        bytesUsed: Math.max(1, Math.round((heavy ? 3 : 0.4) * meanEventBytes * random.next() * 2)),
        metadata: { deviceId: `dev-${member.customerId}`, networkType: random.pick(['5G', 'LTE']) },
      },
    };
    if (ahead === null) envelopes.push({ envelope, ...(late ? { writtenAtMs: late.writtenAtMs } : {}) });
    events.push({
      key: familyKey,
      value: JSON.stringify(envelope),
      kind: envelope.eventType !== 'DATA_USAGE' ? 'skip' : ahead === null ? 'usage' : 'ahead',
      ...(late ? { writtenAtMs: late.writtenAtMs } : {}),
    });
  }
  return { families, events };
}

function randomPolicy(random: Random, quotaBytes: number, zeroRatedShare: number): Record<string, unknown> {
  const policy: Record<string, unknown> = {};
  if (random.chance(0.04)) policy.manualBlock = true;
  if (random.chance(0.12)) policy.blockWindow = { start: '2300', end: '0600' };
  if (random.chance(0.12)) policy.blockedApps = [shout(random.pick(APPS), random)];
  if (random.chance(0.1)) policy.monthlyLimitBytes = Math.round(quotaBytes * 0.1);
  // Drawn only when asked for, so that a seed's workload without zero-rating stays as it was.
  if (zeroRatedShare > 0 && random.chance(zeroRatedShare)) policy.zeroRatedApps = [random.pick(APPS)];
  return policy;
}

const LAST_DAYS_MS = 3 * 86_400_000;

/** A record written in the last days of the previous month about the last days of the month before. */
function lateRecord(random: Random, options: WorkloadOptions) {
  // Drawn only when asked for, so that a seed's workload without late records stays as it was.
  const share = options.olderPeriodShare ?? 0;
  if (share === 0 || !random.chance(share)) return null;
  const periodFromMs = periodStart(periodOf(options.nowMs, options.timeZone), options.timeZone);
  const writtenAtMs = periodFromMs - 1 - Math.floor(random.next() * LAST_DAYS_MS);
  const previousFromMs = periodStart(periodOf(writtenAtMs, options.timeZone), options.timeZone);
  const eventTime = new Date(previousFromMs - 1 - Math.floor(random.next() * LAST_DAYS_MS)).toISOString();
  return { writtenAtMs, eventTime };
}

function eventTime(random: Random, times: TimeSpan, span: number, options: WorkloadOptions): string {
  const { fromMs, toMs } = times;
  if ((options.previousPeriodShare ?? 0) > 0 && random.chance(options.previousPeriodShare ?? 0)) {
    return new Date(fromMs - 1 - Math.floor(random.next() * LAST_DAYS_MS)).toISOString();
  }
  const t = fromMs + Math.floor(random.next() * span);
  if (!random.chance(options.nightShare)) return new Date(t).toISOString();
  // Night-time use, written as zoneless local time the way some producers do.
  const day = localParts(t, options.timeZone);
  const night = zonedToEpoch(
    {
      year: day.year,
      month: day.month,
      day: day.day,
      hour: random.pick([23, 0, 1, 2, 3, 4, 5]),
      minute: random.int(0, 59),
    },
    options.timeZone,
  );
  const p = localParts(Math.min(Math.max(night, fromMs), toMs - 60_000), options.timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

function malformed(
  random: Random,
  family: { familyId: number; members: ReadonlyArray<{ customerId: number }> },
  atMs: number,
) {
  const base = {
    eventId: `bad-${random.int(0, 1e9)}`,
    eventType: 'DATA_USAGE',
    // From the options, never the clock: the same seed generates the same records.
    timestamp: new Date(atMs - 60_000).toISOString(),
  };
  switch (random.int(0, 4)) {
    case 0:
      return '{"eventId": "truncated", "payload": {';
    case 1:
      return JSON.stringify({
        ...base,
        payload: { familyId: family.familyId, customerId: 1, bytesUsed: '12' },
      });
    case 2:
      return JSON.stringify({
        ...base,
        eventId: undefined,
        payload: { familyId: family.familyId, bytesUsed: 5 },
      });
    case 3:
      return JSON.stringify({
        ...base,
        payload: { familyId: family.familyId, customerId: 999_999_999, bytesUsed: 5 },
      });
    default:
      return JSON.stringify({
        ...base,
        timestamp: '2019-01-01T00:00:00Z',
        payload: { familyId: family.familyId, customerId: family.members[0]?.customerId, bytesUsed: 5 },
      });
  }
}
