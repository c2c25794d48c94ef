import { type Family, NO_POLICY } from '../../functions/core/family';

/**
 * `npm start -- --example topup`: the family makes its messenger zero-rated,
 * runs out of data (the child, then the parent, blocked FAMILY_QUOTA_EXCEEDED)
 * while the messenger keeps working uncharged, buys a 2 GiB add-on that
 * unblocks both at once (CUSTOMER_UNBLOCKED, TOPUP_APPLIED, in the
 * transaction of the top-up), the app publishes the purchase again (nothing
 * changes), and the child's next event is allowed. Times are minutes before
 * the run, so the events always fall in the current month.
 */
const FAMILY = 7002;
const PARENT = 700201;
const CHILD = 700202;
const MB = 1024 * 1024;
const MESSENGER = 'com.kakao.talk';
const VIDEO = 'com.youtube.app';

export const families: ReadonlyArray<Family> = [
  {
    familyId: FAMILY,
    name: 'Park',
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
  const usage = (customerId: number, megabytes: number, appId: string) => ({
    eventId: `example-usage-${++n}`,
    eventType: 'DATA_USAGE',
    subType: 'MOBILE',
    timestamp: at(),
    payload: { familyId: FAMILY, customerId, appId, bytesUsed: megabytes * MB },
  });
  const zeroRated = {
    eventId: 'example-zero-rated',
    eventType: 'POLICY_UPDATED',
    timestamp: at(),
    payload: {
      familyId: FAMILY,
      targetCustomerId: null,
      policyKey: 'ZERO_RATE:APP',
      newValue: JSON.stringify({ apps: [MESSENGER] }),
      isActive: true,
    },
  };
  const topup = (eventId: string) => ({
    eventId,
    eventType: 'TOPUP_ADDED',
    timestamp: at(),
    payload: { familyId: FAMILY, topupId: 'example-order-1', bytes: 2048 * MB },
  });
  return [
    zeroRated,
    usage(CHILD, 600, VIDEO),
    usage(PARENT, 350, VIDEO),
    usage(CHILD, 200, VIDEO),
    usage(CHILD, 50, MESSENGER),
    usage(PARENT, 100, VIDEO),
    topup('example-topup'),
    topup('example-topup-sent-again'),
    usage(CHILD, 200, VIDEO),
    usage(CHILD, 50, MESSENGER),
  ].map((event) => JSON.stringify(event));
}
