import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { PeriodImage, PeriodImageChange } from '../../core/period-commits';
import { ledgerKeys } from './ledger-keys';
import { readPeriodUsage } from './period-usage';

const FAMILY_PK = /^FAMILY#(\d+)$/;

/**
 * Ledger stream records as the live usage snapshots see them: the changes of
 * family period items, before and after; every other record (settlements,
 * families, members, deletions) is none of their business.
 */
export function periodImageChanges(records: ReadonlyArray<DynamoDBRecord>): PeriodImageChange[] {
  const changes: PeriodImageChange[] = [];
  for (const record of records) {
    const keys = record.dynamodb?.Keys;
    const familyId = Number(FAMILY_PK.exec(keys?.PK?.S ?? '')?.[1]);
    const sk = keys?.SK?.S ?? '';
    const prefix = ledgerKeys.periodPrefix('');
    if (record.eventName === 'REMOVE' || !Number.isSafeInteger(familyId) || !sk.startsWith(prefix)) continue;
    const period = sk.slice(prefix.length);
    const after = image(familyId, period, record.dynamodb?.NewImage);
    if (!after) continue;
    changes.push({ before: image(familyId, period, record.dynamodb?.OldImage), after });
  }
  return changes;
}

function image(
  familyId: number,
  period: string,
  attributes: Record<string, AttributeValue> | undefined,
): PeriodImage | null {
  if (!attributes) return null;
  // The Lambda event types and the SDK types describe the same AttributeValue JSON.
  const usage = readPeriodUsage(
    familyId,
    period,
    unmarshall(attributes as Record<string, SdkAttributeValue>),
  );
  return {
    familyId,
    period,
    stampMs: usage.stampMs,
    committedAtMs: usage.lastSettledAt,
    quotaBytes: usage.quotaBytes,
    familyUsedBytes: usage.usedBytes,
    members: new Map(
      [...usage.members.values()].map((m) => [
        m.customerId,
        {
          usedBytes: m.usedBytes,
          events: m.settledEvents + m.blockedEvents,
          latestDecision: m.latestDecision,
        },
      ]),
    ),
  };
}
