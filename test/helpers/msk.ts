import type { MskEvent, MskRecord } from '../../functions/core/kafka-record';

export const TOPIC = 'usage-events';

export interface UsageEnvelope {
  eventId: string;
  eventType?: string;
  timestamp: string;
  payload: {
    familyId: number;
    customerId: number;
    appId?: string | null;
    bytesUsed: number;
    metadata?: object;
  };
}

export function mskRecord(
  partition: number,
  offset: number,
  value: unknown,
  options: { key?: string | null; raw?: boolean } = {},
): MskRecord {
  const body = options.raw ? String(value) : JSON.stringify(value);
  const familyKey =
    options.key !== undefined ? options.key : String((value as UsageEnvelope)?.payload?.familyId ?? '');
  return {
    topic: TOPIC,
    partition,
    offset,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: familyKey === null ? null : Buffer.from(familyKey).toString('base64'),
    value: value === null ? null : Buffer.from(body).toString('base64'),
    headers: [],
  };
}

/** Groups records by "<topic>-<partition>" exactly as the MSK event source mapping does. */
export function mskEvent(records: MskRecord[]): MskEvent {
  const grouped: Record<string, MskRecord[]> = {};
  for (const r of records) {
    const key = `${r.topic}-${r.partition}`;
    grouped[key] ??= [];
    grouped[key].push(r);
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:ap-northeast-2:123456789012:cluster/usage-cluster/test',
    bootstrapServers: 'b-1.example:9098',
    records: grouped,
  };
}

export function usage(
  eventId: string,
  familyId: number,
  customerId: number,
  bytesUsed: number,
  extra: { appId?: string | null; timestamp?: string; eventType?: string } = {},
): UsageEnvelope {
  return {
    eventId,
    eventType: extra.eventType ?? 'DATA_USAGE',
    timestamp: extra.timestamp ?? new Date().toISOString(),
    payload: { familyId, customerId, appId: extra.appId ?? null, bytesUsed, metadata: { deviceId: 'dev-1' } },
  };
}

/** A USAGE_CORRECTED envelope: `correctsEventId` of the same family and customer now counts `bytesUsed`. */
export function correction(
  eventId: string,
  familyId: number,
  customerId: number,
  correctsEventId: string,
  bytesUsed: number,
  timestamp = new Date().toISOString(),
) {
  return {
    eventId,
    eventType: 'USAGE_CORRECTED',
    timestamp,
    payload: { familyId, customerId, correctsEventId, bytesUsed },
  };
}

export const POLICY_TOPIC = 'policy-updated';
export const FAMILY_TOPIC = 'family-updated';
let changeOffset = 0;

/** A policy or family event as its topic carries it; keyed by its familyId (null for a global policy). */
export function changeRecord(
  value: { payload?: { familyId?: number | null } } | string,
  partition = 0,
): MskRecord {
  const body = typeof value === 'string' ? value : JSON.stringify(value);
  const eventType =
    typeof value === 'string' ? '' : String((value as { eventType?: unknown }).eventType ?? '');
  const familyId = typeof value === 'string' ? null : value.payload?.familyId;
  return {
    ...mskRecord(partition, ++changeOffset, body, {
      raw: true,
      key: familyId == null ? null : String(familyId),
    }),
    topic: eventType === 'POLICY_UPDATED' || eventType === '' ? POLICY_TOPIC : FAMILY_TOPIC,
  };
}

/** A POLICY_UPDATED event; omit the family for a global default, the customer for a family-wide value. */
export function policyUpdated(
  eventId: string,
  target: { familyId?: number | null; customerId?: number | null },
  policyKey: string,
  newValue: unknown,
  extra: { timestamp?: string; isActive?: boolean } = {},
) {
  return {
    eventId,
    eventType: 'POLICY_UPDATED',
    timestamp: extra.timestamp ?? new Date().toISOString(),
    payload: {
      familyId: target.familyId ?? null,
      targetCustomerId: target.customerId ?? null,
      policyKey,
      newValue,
      isActive: extra.isActive ?? true,
    },
  };
}

export function familyEvent(
  eventId: string,
  eventType: 'FAMILY_UPSERTED' | 'MEMBER_JOINED' | 'MEMBER_LEFT' | 'QUOTA_CHANGED' | 'TOPUP_ADDED',
  payload: Record<string, unknown> & { familyId: number },
  timestamp = new Date().toISOString(),
) {
  return { eventId, eventType, timestamp, payload };
}

let uniqueSeq = 0;
/** An eventId no other test run of the same tables uses. */
export const uniqueId = (what: string) => `${what}-${++uniqueSeq}-${Math.random().toString(36).slice(2, 6)}`;

/** An ISO timestamp this many ms before now. */
export const msAgo = (ms: number) => new Date(Date.now() - ms).toISOString();
