import { generateWorkload, type Workload, type WorkloadOptions } from '../local/workload/generate';

/**
 * W1, the standard workload: 50,000 events over 1,000 families of 4 members,
 * family activity Zipf-skewed (s = 1.1), 3% duplicate redeliveries, 1%
 * malformed records, quotas sized so that about 30% of families cross a
 * threshold and about 5% run out. Policies are the generator's mix on
 * non-owner members: 4% manually blocked, 12% a night block window, 12% a
 * blocked app, 10% a monthly limit of 10% of the family quota.
 */
export const W1: Omit<WorkloadOptions, 'nowMs'> = {
  seed: 1,
  families: 1_000,
  membersPerFamily: [4, 4],
  events: 50_000,
  zipfS: 1.1,
  duplicateRate: 0.03,
  malformedRate: 0.01,
  skipRate: 0,
  nightShare: 0.2,
  runOutShare: 0.05,
  crossShare: 0.3,
  policies: true,
  timeZone: 'Asia/Seoul',
  firstFamilyId: 1,
};

/** How W1 is delivered: 8 partitions, up to 1,000 records per invocation. */
export const W1_DELIVERY = { topic: 'usage-events', partitions: 8, batchSize: 1_000 } as const;

export function w1Workload(scale: { events: number; families: number }, nowMs: number): Workload {
  return generateWorkload({ ...W1, events: scale.events, families: scale.families, nowMs });
}

export const isStandardW1 = (scale: { events: number; families: number }) =>
  scale.events === W1.events && scale.families === W1.families;
