import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { PeriodImage, PeriodImageChange } from '../../core/snapshots/period-commits';
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
  const item = unmarshall(attributes as Record<string, SdkAttributeValue>);
  const usage = readPeriodUsage(familyId, period, item);
  return {
    familyId,
    period,
    stampMs: usage.stampMs,
    // A settlement sets lastSettledAt, a family or policy change configuredAt: the later is this commit's.
    committedAtMs: Math.max(usage.lastSettledAt, Number(item.configuredAt ?? 0)),
    changedAtMs: Number(item.configuredAt ?? 0),
    quotaBytes: usage.quotaBytes,
    topupBytes: usage.topupBytes,
    familyUsedBytes: usage.usedBytes,
    members: new Map(
      [...usage.members.values()].map((m) => [
        m.customerId,
        {
          usedBytes: m.usedBytes,
          zeroRatedBytes: m.zeroRatedBytes,
          latestDecision: m.latestDecision,
          shownStampMs: m.shownStampMs,
        },
      ]),
    ),
  };
}
