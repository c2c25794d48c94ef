import type { BlockWindow, MemberPolicy } from '../family';
import { effectivePolicy } from '../precedence';
import type { Decision } from '../settlement/decision';
import type { DecisionStatus } from '../status-effects';
import { isBelow } from '../thresholds';

/**
 * The degraded-mode decision rule: the decision rules (docs/behaviour.md,
 * "Decision rules") over a family's period state held in memory, the twin of
 * the decide step of lua/settle-lane.lua, for deciding from the ledger alone
 * when Redis is unreachable. A property test runs both on the same states
 * and events and requires the same decisions and the same state after them.
 */
export interface DecidingState {
  readonly quota: number;
  /** The period's top-ups: the pool is quota + topups. */
  readonly topups: number;
  remaining: number;
  /** Each member's usage this period; a customer without an entry is not a member. */
  readonly used: Map<number, number>;
  readonly familyPolicy: MemberPolicy;
  readonly memberPolicies: ReadonlyMap<number, MemberPolicy>;
  /** Alert markers notified this period. */
  readonly alerts: Set<string>;
}

export interface DecidingEvent {
  readonly customerId: number;
  readonly appId: string | null;
  readonly bytesUsed: number;
  /** Local HHmm of the event. */
  readonly localHhmm: string;
  readonly payloadHash: string;
}

/** Whether an HHmm falls in a block window: start inclusive, end exclusive, overnight when start > end. */
export function insideWindow(window: BlockWindow | null, hhmm: string): boolean {
  if (!window) return false;
  const at = Number(hhmm);
  const start = Number(window.start);
  const end = Number(window.end);
  if (start < end) return at >= start && at < end;
  if (start > end) return at >= start || at < end;
  return true;
}

function policyOf(state: DecidingState, event: DecidingEvent, global: MemberPolicy) {
  const policy = effectivePolicy(state.memberPolicies.get(event.customerId), state.familyPolicy, global);
  return {
    limit: policy.monthlyLimitBytes,
    manual: policy.manualBlock,
    window: policy.blockWindow,
    appBlocked: event.appId !== null && policy.blockedApps.includes(event.appId),
    zeroRated: event.appId !== null && policy.zeroRatedApps.includes(event.appId),
  };
}

/** Decides one event of a member, updating the state as the script would. */
export function decideEvent(state: DecidingState, event: DecidingEvent, global: MemberPolicy): Decision {
  const policy = policyOf(state, event, global);
  const bytes = event.bytesUsed;
  const memberUsed = state.used.get(event.customerId) ?? 0;
  let status: DecisionStatus | null = null;
  if (policy.manual) status = 'MANUAL';
  else if (policy.appBlocked) status = 'APP_BLOCK';
  else if (insideWindow(policy.window, event.localHhmm)) status = 'TIME_BLOCK';
  else if (policy.zeroRated) status = 'ZERO_RATED';
  else if (policy.limit !== null && memberUsed + bytes > policy.limit) status = 'MONTHLY_LIMIT_EXCEEDED';
  else if (state.remaining < bytes) status = 'FAMILY_QUOTA_EXCEEDED';

  let counted = false;
  // Statuses whose alert marker this decision sets, least severe first; the last one is the status itself.
  let alertStatuses: DecisionStatus[];
  if (status === 'ZERO_RATED') {
    // Allowed, charged to nothing, told to nobody.
    alertStatuses = [];
  } else if (status !== null) {
    alertStatuses = [status];
  } else {
    counted = true;
    state.remaining -= bytes;
    state.used.set(event.customerId, memberUsed + bytes);
    const pool = state.quota + state.topups;
    if (isBelow(state.remaining, pool, 1)) {
      status = 'WARNING_10';
      alertStatuses = ['WARNING_50', 'WARNING_30', 'WARNING_10'];
    } else if (isBelow(state.remaining, pool, 3)) {
      status = 'WARNING_30';
      alertStatuses = ['WARNING_50', 'WARNING_30'];
    } else if (isBelow(state.remaining, pool, 5)) {
      status = 'WARNING_50';
      alertStatuses = ['WARNING_50'];
    } else {
      status = 'NORMAL';
      alertStatuses = [];
    }
  }

  const markers: string[] = [];
  let notify = false;
  alertStatuses.forEach((alertStatus, i) => {
    const marker =
      alertStatus === 'APP_BLOCK'
        ? `${event.customerId}:${alertStatus}:${event.appId ?? ''}`
        : `${event.customerId}:${alertStatus}`;
    if (state.alerts.has(marker)) return;
    state.alerts.add(marker);
    markers.push(marker);
    if (i === alertStatuses.length - 1) notify = true;
  });
  return {
    status,
    counted,
    notify,
    bytes,
    customerId: event.customerId,
    payloadHash: event.payloadHash,
    markers,
  };
}
