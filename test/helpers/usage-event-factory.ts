import { normalizeAppId } from '../../functions/core/app-id';
import { payloadHash, type UsageEvent } from '../../functions/core/settlement/usage-event';
import { localHhmm, periodOf } from '../../functions/core/time';

export const ZONE = 'Asia/Seoul';

let sequence = 0;

/** A validated usage event, built directly for tests of the Redis side. */
export function usageEvent(
  fields: Partial<Omit<UsageEvent, 'period' | 'localHhmm' | 'payloadHash'>> & {
    familyId: number;
    customerId: number;
  },
): UsageEvent {
  const eventId = fields.eventId ?? `evt-${++sequence}-${Math.random().toString(36).slice(2, 8)}`;
  const eventTimeMs = fields.eventTimeMs ?? Date.now();
  const appId = normalizeAppId(fields.appId ?? null);
  const bytesUsed = fields.bytesUsed ?? 1000;
  return {
    eventId,
    familyId: fields.familyId,
    customerId: fields.customerId,
    appId,
    bytesUsed,
    eventTimeMs,
    period: periodOf(eventTimeMs, ZONE),
    localHhmm: localHhmm(eventTimeMs, ZONE),
    payloadHash: payloadHash({
      eventId,
      eventTimeMs,
      familyId: fields.familyId,
      customerId: fields.customerId,
      appId,
      bytesUsed,
    }),
  };
}
