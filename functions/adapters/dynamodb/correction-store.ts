import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CorrectionPlan } from '../../core/corrections/plan-correction';
import type { CorrectionStore, KafkaPosition } from '../../core/corrections/ports';
import type { OutboxItem } from '../../core/outbox/item';
import { DEFAULT_FATE_RETENTION_DAYS, fateExpiry } from '../../core/settlement/retention';
import { periodUpdate } from './change-store';
import { outboxPut, type TransactItem, writePlanned } from './conditional-transaction';
import { ledgerKeys } from './ledger-keys';
import { CORRECTED_ATTRIBUTES, correctionItem } from './settlement-item';

/**
 * A correction in one transaction: its own record (once by its eventId), the
 * corrected event's new amount (only over the correction it replaced), the
 * period's usage and markers (under the version it was planned against) and
 * the notifications it owes.
 */
export class DynamoCorrectionStore implements CorrectionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { readonly ledger: string; readonly outbox: string },
    private readonly fateRetentionDays = DEFAULT_FATE_RETENTION_DAYS,
  ) {}

  async commit(
    plan: CorrectionPlan,
    outbox: ReadonlyArray<OutboxItem>,
    written: { readonly kafka: KafkaPosition; readonly nowMs: number },
  ): Promise<boolean> {
    const { ledger } = this.tables;
    const { nowMs } = written;
    const items: TransactItem[] = [
      {
        Put: {
          TableName: ledger,
          Item: correctionItem(
            {
              ...plan.record,
              kafka: written.kafka,
              correctedAt: nowMs,
              notificationIds: outbox.map((o) => o.notificationId),
            },
            fateExpiry(plan.record.period, this.fateRetentionDays),
          ),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ];
    if (plan.original) {
      const { previousVersion, correction } = plan.original;
      items.push({
        Update: {
          TableName: ledger,
          Key: ledgerKeys.settlement(plan.original.eventId),
          UpdateExpression: 'SET #bytes = :bytes, #version = :version, #by = :by, #at = :at',
          ConditionExpression:
            previousVersion === null
              ? 'attribute_exists(PK) AND attribute_not_exists(#version)'
              : 'attribute_exists(PK) AND #version = :previous',
          ExpressionAttributeNames: {
            '#bytes': CORRECTED_ATTRIBUTES.bytes,
            '#version': CORRECTED_ATTRIBUTES.version,
            '#by': CORRECTED_ATTRIBUTES.by,
            '#at': CORRECTED_ATTRIBUTES.at,
          },
          ExpressionAttributeValues: {
            ':bytes': correction.bytes,
            ':version': correction.version,
            ':by': correction.eventId,
            ':at': nowMs,
            ...(previousVersion === null ? {} : { ':previous': previousVersion }),
          },
        },
      });
    }
    if (plan.edit) items.push({ Update: periodUpdate(ledger, plan.familyId, plan.edit, nowMs) });
    for (const item of outbox) items.push(outboxPut(this.tables.outbox, item));
    return writePlanned(this.db, items);
  }
}
