import type { WorkloadFamily } from './generate';
import type { Random } from './random';

/** A policy or family event for the workload, as its topic carries it. */
export interface GeneratedChangeEvent {
  readonly topic: 'policy-updated' | 'family-updated';
  /** The familyId as a decimal string. */
  readonly key: string;
  readonly value: string;
  readonly kind: 'policy' | 'family';
  /** Carries a timestamp older than an earlier change of the same value would have. */
  readonly late: boolean;
}

const APPS = ['com.youtube.app', 'com.netflix.mediaclient', 'com.instagram.android', 'com.kakao.talk'];
const WINDOWS = ['2300-0600', '0000-0700', '1300-1400', '2200-0100'];

/**
 * Family and policy changes the carrier's systems would publish while usage
 * flows: limits raised and lowered (to below what a member has used, too),
 * manual blocks set and lifted, block windows and blocked apps, family-wide
 * values, members leaving and joining again, quotas changed. A share of them
 * carry a timestamp older than an earlier change of the same value, as a
 * late or replayed publish would: they must be ignored as stale.
 */
export function generateChangeEvents(
  random: Random,
  families: ReadonlyArray<WorkloadFamily>,
  count: number,
  options: { readonly nowMs: number; readonly staleShare: number; readonly seed: number },
): GeneratedChangeEvent[] {
  const events: GeneratedChangeEvent[] = [];
  const left = new Set<string>();
  let clock = options.nowMs - count * 1_000;
  for (let n = 0; n < count; n++) {
    clock += random.int(200, 1_800);
    const family = random.pick(families);
    const member = random.pick(family.members.slice(1).length > 0 ? family.members.slice(1) : family.members);
    const stale = random.chance(options.staleShare);
    const timestamp = new Date(stale ? clock - random.int(5_000, 60_000) : clock).toISOString();
    const eventId = `cfg-${options.seed}-${n}`;
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
      const [policyKey, newValue, isActive] = policyChange(random, family.quotaBytes);
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

function policyChange(random: Random, quotaBytes: number): [string, string | null, boolean] {
  if (random.chance(0.2)) {
    return [random.pick(['LIMIT:DATA:MONTHLY', 'BLOCK:ACCESS', 'BLOCK:TIME', 'BLOCK:APP']), null, false];
  }
  switch (random.int(0, 3)) {
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
    default: {
      const apps = [random.pick(APPS), random.pick(APPS)].map((a) =>
        random.chance(0.3) ? a.toUpperCase() : a,
      );
      return random.chance(0.5)
        ? ['BLOCK:APP', apps.join(','), true]
        : ['BLOCK:APP', JSON.stringify({ blockedApps: apps }), true];
    }
  }
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
