import { describe, expect, it } from 'vitest';
import { type ArchiveLine, archiveLine } from '../../functions/core/archive/archive';
import { type ArchiveSink, archiveFates, type FateChange } from '../../functions/core/archive/archive-fates';
import type { LedgerFate } from '../../functions/core/settlement/records';

const rejection = (eventId: string): LedgerFate => ({
  kind: 'rejected',
  record: {
    eventId,
    familyId: 7,
    customerId: 70,
    period: '202612',
    reason: 'NOT_A_MEMBER',
    payloadHash: 'h',
    decidedAtVersion: 3,
    kafka: { topic: 'usage-events', partition: 1, offset: 9 },
    rejectedAt: 1_000,
  },
});

const change = (sequenceNumber: string, fate: LedgerFate | null): FateChange => ({ sequenceNumber, fate });

const sinkRefusing = (eventIds: ReadonlyArray<string>) => {
  const received: ArchiveLine[] = [];
  const sink: ArchiveSink = {
    async put(lines) {
      received.push(...lines);
      return lines.flatMap((l, i) => (eventIds.includes(l.eventId) ? [i] : []));
    },
  };
  return { sink, received };
};

describe('archiving the fates of a ledger stream batch', () => {
  it('archives fates, skips every other record, and fails nothing when the sink takes all', async () => {
    const { sink, received } = sinkRefusing([]);
    const { failedSequenceNumber, report } = await archiveFates(
      [change('1', rejection('a')), change('2', null), change('3', rejection('b'))],
      sink,
    );
    expect(received.map((l) => l.eventId)).toEqual(['a', 'b']);
    expect(report).toEqual({ archived: 2, failed: 0, skipped: 1 });
    expect(failedSequenceNumber).toBeNull();
  });

  it('reports the stream record of the first line the sink refused, so it is delivered again with the rest', async () => {
    const { sink } = sinkRefusing(['c', 'b']);
    const { failedSequenceNumber, report } = await archiveFates(
      [
        change('10', rejection('a')),
        change('11', null),
        change('12', rejection('b')),
        change('13', rejection('c')),
      ],
      sink,
    );
    expect(failedSequenceNumber).toBe('12');
    expect(report).toEqual({ archived: 1, failed: 2, skipped: 1 });
  });

  it('writes a rejection as a line without usage, with its reason and the time it was recorded', () => {
    expect(archiveLine(rejection('r'))).toMatchObject({
      eventId: 'r',
      kind: 'REJECTION',
      bytesUsed: null,
      decision: null,
      reason: 'NOT_A_MEMBER',
      recordedAt: 1_000,
      kafkaOffset: 9,
    });
  });
});
