import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { FateChange } from '../../core/archive/archive-fates';
import { InvariantError } from '../../core/errors';
import { fateFromItem } from './settlement-item';

/** The item types under a settlement key: the archive takes these and nothing else of the ledger. */
export const FATE_ITEM_TYPES = ['SETTLEMENT', 'REJECTION', 'CORRECTION'] as const;

/**
 * Ledger stream records as the archiver sees them: a fate written (an insert,
 * or a later change of the record) or anything else, which it skips: period
 * and family items, and deletions (an expired fate was archived when written).
 */
export function fateChanges(records: ReadonlyArray<DynamoDBRecord>): FateChange[] {
  return records.map((record) => {
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (!sequenceNumber) {
      throw new InvariantError(
        'LEDGER_INVARIANT',
        `stream record ${record.eventID ?? '?'} has no sequence number`,
      );
    }
    const image = record.dynamodb?.NewImage;
    const type = image?.type?.S;
    if (
      record.eventName === 'REMOVE' ||
      !image ||
      !(FATE_ITEM_TYPES as ReadonlyArray<string>).includes(type ?? '')
    ) {
      return { sequenceNumber, fate: null };
    }
    // The Lambda event types and the SDK types describe the same AttributeValue JSON.
    return { sequenceNumber, fate: fateFromItem(unmarshall(image as Record<string, SdkAttributeValue>)) };
  });
}
