/**
 * A consumer process that crashes in the middle of its first batch: the real
 * usage-events handler (configured from this process's environment, as in
 * Lambda) settles the first half of every partition of the batch, the process
 * reports which offsets those were, and then hangs until it is killed, so it
 * never returns to the mapping, never commits and never leaves the group.
 *
 * argv[2]: JSON { bootstrap, topic, group, sessionTimeoutMs }
 */
import type { MskEvent } from '../../../functions/core/kafka-record';
import { brokerKafka } from '../../../local/kafka/broker/broker-kafka';
import { localContext } from '../../../local/outbox/delivery-loop';

const { bootstrap, topic, group, sessionTimeoutMs } = JSON.parse(process.argv[2] ?? '{}') as {
  bootstrap: string;
  topic: string;
  group: string;
  sessionTimeoutMs: number;
};

const { handler } = await import('../../../functions/usage-events/handler');
const kafka = brokerKafka(bootstrap, { sessionTimeoutMs });
const mapping = await kafka.mapping(
  { topic, consumerGroup: group },
  async (event: MskEvent) => {
    const firstHalves = Object.fromEntries(
      Object.entries(event.records).map(([key, records]) => [
        key,
        records.slice(0, Math.ceil(records.length / 2)),
      ]),
    );
    await handler({ ...event, records: firstHalves }, localContext('usage-events', 60_000));
    process.send?.({
      settled: Object.values(firstHalves).flatMap((records) =>
        records.map(({ partition, offset }) => ({ partition, offset })),
      ),
    });
    return new Promise<never>(() => {});
  },
  { batchSize: 10_000 },
);
process.send?.({ joined: true });
await mapping.drain();
