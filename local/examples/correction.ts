import { type Family, NO_POLICY } from '../../functions/core/family';

/**
 * `npm start -- --example correction`: after a gateway failover the network
 * reports the child's 300 MiB session twice; the family runs out of data and
 * both members are blocked (FAMILY_QUOTA_EXCEEDED). The mediation system then
 * voids the second copy (USAGE_CORRECTED to 0 bytes): the 300 MiB come back,
 * both are unblocked (CUSTOMER_UNBLOCKED) and the 30% warning is re-armed,
 * the correction delivered again changes nothing, and the child's next event
 * is allowed and warned again. Times are minutes before the run, so the
 * events always fall in the current month.
 */
const FAMILY = 7003;
const PARENT = 700301;
const CHILD = 700302;
const MB = 1024 * 1024;

export const families: ReadonlyArray<Family> = [
  {
    familyId: FAMILY,
    name: 'Choi',
    quotaBytes: 1024 * MB,
    members: [
      { customerId: PARENT, role: 'OWNER', policy: NO_POLICY },
      { customerId: CHILD, role: 'MEMBER', policy: NO_POLICY },
    ],
  },
];

export function lines(nowMs: number): string[] {
  let minute = 20;
  const at = () => new Date(nowMs - minute-- * 60_000).toISOString();
  let n = 0;
  const usage = (customerId: number, megabytes: number, eventId = `example-usage-${++n}`) => ({
    eventId,
    eventType: 'DATA_USAGE',
    subType: 'MOBILE',
    timestamp: at(),
    payload: { familyId: FAMILY, customerId, appId: 'com.youtube.app', bytesUsed: megabytes * MB },
  });
  const correction = {
    eventId: 'example-correction',
    eventType: 'USAGE_CORRECTED',
    timestamp: at(),
    payload: { familyId: FAMILY, customerId: CHILD, correctsEventId: 'example-double-counted', bytesUsed: 0 },
  };
  return [
    usage(PARENT, 300),
    usage(CHILD, 300),
    usage(CHILD, 300, 'example-double-counted'),
    usage(CHILD, 200),
    usage(PARENT, 150),
    correction,
    correction,
    usage(CHILD, 200),
  ].map((event) => JSON.stringify(event));
}
