import type { GeneratedEvent } from '../../local/workload/generate';
import type { seededRandom } from '../../local/workload/random';

/** A chaos record: the workload's kinds, and corrections of its usage. */
export type ChaosRecord = Omit<GeneratedEvent, 'kind'> & {
  readonly kind: GeneratedEvent['kind'] | 'correction';
};

interface UsageEnvelope {
  readonly eventId: string;
  readonly eventType: string;
  readonly timestamp: string;
  readonly payload: { readonly familyId: number; readonly customerId: number; readonly bytesUsed: number };
}

/**
 * Corrections of a share of the usage, each placed somewhere after the event
 * it corrects (so in its family's partition, after it): voids and halvings,
 * corrections to more than the event counted (refused), pairs of corrections
 * of one event in either order (the older one changes nothing, or the later
 * one is refused for increasing), and corrections of events that never were.
 */
export function withCorrections(
  random: ReturnType<typeof seededRandom>,
  records: ReadonlyArray<GeneratedEvent>,
  share: number,
  nowMs: number,
): ChaosRecord[] {
  const after = new Map<number, ChaosRecord[]>();
  let n = 0;
  records.forEach((record, i) => {
    if (record.kind !== 'usage' || !record.value || !random.chance(share)) return;
    const event = JSON.parse(record.value) as UsageEnvelope;
    if (event.eventType !== 'DATA_USAGE') return;
    const { familyId, customerId, bytesUsed } = event.payload;
    // Issued now, whenever the usage was: the pair's newer correction is the one 20 s ago.
    const correction = (bytes: number, agoMs: number, correctsEventId = event.eventId): ChaosRecord => ({
      key: record.key,
      value: JSON.stringify({
        eventId: `cor-${++n}-${event.eventId}`,
        eventType: 'USAGE_CORRECTED',
        timestamp: new Date(nowMs - agoMs).toISOString(),
        payload: { familyId, customerId, correctsEventId, bytesUsed: bytes },
      }),
      kind: 'correction',
    });
    const roll = random.int(0, 99);
    const made =
      roll < 50
        ? [correction(random.pick([0, Math.floor(bytesUsed / 2)]), random.int(1_000, 60_000))]
        : roll < 65
          ? [correction(bytesUsed + 1, random.int(1_000, 60_000))]
          : roll < 85
            ? random.pick([
                [
                  correction(Math.floor(bytesUsed / 2), 40_000),
                  correction(Math.floor(bytesUsed / 4), 20_000),
                ],
                [
                  correction(Math.floor(bytesUsed / 4), 20_000),
                  correction(Math.floor(bytesUsed / 2), 40_000),
                ],
              ])
            : [correction(0, 1_000, `never-settled-${n}`)];
    for (const c of made) {
      const at = random.int(i, records.length - 1);
      after.set(at, [...(after.get(at) ?? []), c]);
    }
  });
  return records.flatMap((record, i) => [record, ...(after.get(i) ?? [])]);
}
