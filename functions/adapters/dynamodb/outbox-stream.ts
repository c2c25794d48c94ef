import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { InvariantError } from '../../core/errors';
import type { OutboxChange } from '../../core/outbox/relay';
import { decodeOutboxItem } from './outbox-item-codec';
import { OUTBOX_TABLE } from './table-layout';

const STATUS = OUTBOX_TABLE.statusIndex.partitionKey;

type Image = Record<string, AttributeValue>;

/**
 * Outbox stream records as the relay sees them. The statuses are read straight
 * from the AttributeValues, so records the relay ignores are never unmarshalled.
 */
export function outboxChanges(records: ReadonlyArray<DynamoDBRecord>): OutboxChange[] {
  return records.map((record) => {
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (!sequenceNumber) {
      throw new InvariantError(
        'OUTBOX_INVARIANT',
        `stream record ${record.eventID ?? '?'} has no sequence number`,
      );
    }
    const newImage = record.dynamodb?.NewImage;
    return {
      sequenceNumber,
      eventName: record.eventName ?? 'MODIFY',
      newStatus: newImage?.[STATUS]?.S,
      oldStatus: record.dynamodb?.OldImage?.[STATUS]?.S,
      item: () => {
        if (!newImage)
          throw new InvariantError('OUTBOX_INVARIANT', `stream record ${sequenceNumber} has no new image`);
        return decodeOutboxItem(fromImage(newImage));
      },
    };
  });
}

/** The Lambda event types and the SDK types describe the same AttributeValue JSON. */
function fromImage(image: Image): Record<string, unknown> {
  return unmarshall(image as Record<string, SdkAttributeValue>);
}
