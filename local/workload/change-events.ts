import type { WorkloadFamily } from './generate';
import type { Random } from './random';

/** A policy or family event for the workload, as its topic carries it. */
export interface GeneratedChangeEvent {
  readonly topic: 'policy-updated' | 'family-updated';
  /** The familyId as a decimal string. */
  readonly key: string;
  readonly value: string;
  readonly kind: 'policy' | 'family' | 'topup';
  /** Carries a timestamp older than an earlier change of the same value would have. */
  readonly late: boolean;
}

const APPS = ['com.youtube.app', 'com.netflix.mediaclient', 'com.instagram.android', 'com.kakao.talk'];
const WINDOWS = ['2300-0600', '0000-0700', '1300-1400', '2200-0100'];

/**
 * Family and policy changes the carrier's systems would publish while usage
 * flows: limits raised and lowered (to below what a member has used, too),
 * manual blocks set and lifted, block windows and blocked apps, family-wide
 * values, members leaving and joining again, quotas changed; when asked,
 * top-ups and zero-rated apps too. A share of them
 * carry a timestamp older than an earlier change of the same value, as a
 * late or replayed publish would: they must be ignored as stale.
 */
export function generateChangeEvents(
  random: Random,
  families: ReadonlyArray<WorkloadFamily>,
  count: number,
  options: {
    readonly nowMs: number;
    readonly staleShare: number;
    readonly seed: number;
    /** Share of the changes that are top-ups (some of them sent again, a few with other bytes). */
    readonly topupShare?: number;
    /** Policy changes may set or remove zero-rated apps. */
    readonly zeroRating?: boolean;
  },
): GeneratedChangeEvent[] {
  const events: GeneratedChangeEvent[] = [];
  const left = new Set<string>();
  const topups: Array<{ familyId: number; topupId: string; bytes: number }> = [];
  let clock = options.nowMs - count * 1_000;
  for (let n = 0; n < count; n++) {
    clock += random.int(200, 1_800);
    const eventId = `cfg-${options.seed}-${n}`;
    // Drawn only when asked for, so that a seed's changes without top-ups stay as they were.
    if ((options.topupShare ?? 0) > 0 && random.chance(options.topupShare ?? 0)) {
      events.push(topupEvent(random, families, topups, eventId, new Date(clock).toISOString()));
      continue;
    }
    const family = random.pick(families);
    const member = random.pick(family.members.slice(1).length > 0 ? family.members.slice(1) : family.members);
    const stale = random.chance(options.staleShare);
    const timestamp = new Date(stale ? clock - random.int(5_000, 60_000) : clock).toISOString();
    const roll = random.next();
    const memberKey = `${family.familyId}:${member.customerId}`;
    if (roll < 0.12) {
      const joining = left.has(memberKey);
      if (joining) left.delete(memberKey);
      else left.add(memberKey);
      events.push(
        familyEvent(eventId, joining ? 'MEMBER_JOINED' : 'MEMBER_LEFT', timestamp, stale, {
          familyId: family.familyId,
          customerId: member.customerId,
        }),
      );
    } else if (roll < 0.2) {
      const factor = random.pick([0.3, 0.8, 1.5, 3]);
      events.push(
        familyEvent(eventId, 'QUOTA_CHANGED', timestamp, stale, {
          familyId: family.familyId,
          totalQuotaBytes: Math.round(family.quotaBytes * factor),
        }),
      );
    } else {
      const familyWide = random.chance(0.25);
      const [policyKey, newValue, isActive] = policyChange(
        random,
        family.quotaBytes,
        options.zeroRating === true,
      );
      events.push({
        topic: 'policy-updated',
        key: String(family.familyId),
        kind: 'policy',
        late: stale,
        value: JSON.stringify({
          eventId,
          eventType: 'POLICY_UPDATED',
          timestamp,
          payload: {
            familyId: family.familyId,
            targetCustomerId: familyWide ? null : member.customerId,
            policyKey,
            newValue,
            isActive,
          },
        }),
      });
    }
  }
  return events;
}

function policyChange(
  random: Random,
  quotaBytes: number,
  zeroRating: boolean,
): [string, string | null, boolean] {
  const keys = ['LIMIT:DATA:MONTHLY', 'BLOCK:ACCESS', 'BLOCK:TIME', 'BLOCK:APP'];
  if (random.chance(0.2)) return [random.pick(zeroRating ? [...keys, 'ZERO_RATE:APP'] : keys), null, false];
  switch (random.int(0, zeroRating ? 4 : 3)) {
    case 0:
      return random.chance(0.5)
        ? [
            'LIMIT:DATA:MONTHLY',
            String(Math.max(1, Math.round(quotaBytes * random.pick([0.01, 0.05, 0.2, 0.5])))),
            true,
          ]
        : ['LIMIT:DATA:MONTHLY', JSON.stringify({ limitBytes: Math.round(quotaBytes * 0.1) }), true];
    case 1:
      return random.chance(0.5)
        ? ['BLOCK:ACCESS', random.pick(['1', '0']), true]
        : ['BLOCK:ACCESS', JSON.stringify({ reason: random.pick(['exam week', '']) }), true];
    case 2: {
      const window = random.pick(WINDOWS);
      return random.chance(0.5)
        ? ['BLOCK:TIME', window, true]
        : [
            'BLOCK:TIME',
            JSON.stringify({
              start: `${window.slice(0, 2)}:${window.slice(2, 4)}`,
              end: `${window.slice(5, 7)}:${window.slice(7)}`,
            }),
            true,
          ];
    }
    case 3: {
      const apps = [random.pick(APPS), random.pick(APPS)].map((a) =>
        random.chance(0.3) ? a.toUpperCase() : a,
      );
      return random.chance(0.5)
        ? ['BLOCK:APP', apps.join(','), true]
        : ['BLOCK:APP', JSON.stringify({ blockedApps: apps }), true];
    }
    default: {
      const apps = [random.pick(APPS), random.pick(APPS)];
      return random.chance(0.5)
        ? ['ZERO_RATE:APP', apps.join(','), true]
        : ['ZERO_RATE:APP', JSON.stringify({ apps }), true];
    }
  }
}

/**
 * A data add-on bought in the carrier's app: mostly a new purchase, sometimes
 * the same one published again (nothing changes), rarely the same id with
 * other bytes (refused as a conflict).
 */
function topupEvent(
  random: Random,
  families: ReadonlyArray<WorkloadFamily>,
  issued: Array<{ familyId: number; topupId: string; bytes: number }>,
  eventId: string,
  timestamp: string,
): GeneratedChangeEvent {
  const again = issued.length > 0 && random.chance(0.3) ? random.pick(issued) : null;
  let payload: { familyId: number; topupId: string; bytes: number };
  if (again) {
    payload = random.chance(0.8) ? again : { ...again, bytes: again.bytes + 1 };
  } else {
    // The busiest families (the list is in order of activity) run out first and use what they buy.
    const family = random.pick(families.slice(0, Math.max(1, Math.ceil(families.length / 3))));
    payload = {
      familyId: family.familyId,
      topupId: `order-${eventId}`,
      bytes: Math.max(1, Math.round(family.quotaBytes * random.pick([0.05, 0.2, 0.5]))),
    };
    issued.push(payload);
  }
  return {
    topic: 'family-updated',
    key: String(payload.familyId),
    kind: 'topup',
    late: false,
    value: JSON.stringify({ eventId, eventType: 'TOPUP_ADDED', timestamp, payload }),
  };
}

function familyEvent(
  eventId: string,
  eventType: 'MEMBER_JOINED' | 'MEMBER_LEFT' | 'QUOTA_CHANGED',
  timestamp: string,
  late: boolean,
  payload: Record<string, unknown> & { familyId: number },
): GeneratedChangeEvent {
  return {
    topic: 'family-updated',
    key: String(payload.familyId),
    kind: 'family',
    late,
    value: JSON.stringify({ eventId, eventType, timestamp, payload }),
  };
}
