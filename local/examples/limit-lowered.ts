import type { Family } from '../../functions/core/family';

/**
 * `npm start -- --example limit-lowered`: a parent lowers a child's monthly
 * limit below what the child has used this month, the child is blocked on the
 * spot (CUSTOMER_BLOCKED, in the transaction of the change), the child's next
 * event is refused, the parent raises the limit again (CUSTOMER_UNBLOCKED)
 * and the child's usage counts again. Times are minutes before the run, so
 * the events always fall in the current month.
 */
const FAMILY = 7001;
const PARENT = 700101;
const CHILD = 700102;
const MB = 1024 * 1024;

export const families: ReadonlyArray<Family> = [
  {
    familyId: FAMILY,
    name: 'Kim',
    quotaBytes: 10 * 1024 * MB,
    members: [
      {
        customerId: PARENT,
        role: 'OWNER',
        policy: {
          monthlyLimitBytes: null,
          manualBlock: false,
          blockWindow: null,
          blockedApps: [],
          zeroRatedApps: [],
        },
      },
      {
        customerId: CHILD,
        role: 'MEMBER',
        policy: {
          monthlyLimitBytes: null,
          manualBlock: false,
          blockWindow: null,
          blockedApps: [],
          zeroRatedApps: [],
        },
      },
    ],
  },
];

export function lines(nowMs: number): string[] {
  let minute = 20;
  const at = () => new Date(nowMs - minute-- * 60_000).toISOString();
  let n = 0;
  const usage = (customerId: number, megabytes: number, appId: string | null = 'com.youtube.app') => ({
    eventId: `example-usage-${++n}`,
    eventType: 'DATA_USAGE',
    subType: 'MOBILE',
    timestamp: at(),
    payload: { familyId: FAMILY, customerId, appId, bytesUsed: megabytes * MB },
  });
  const limit = (eventId: string, megabytes: number) => ({
    eventId,
    eventType: 'POLICY_UPDATED',
    timestamp: at(),
    payload: {
      familyId: FAMILY,
      targetCustomerId: CHILD,
      policyKey: 'LIMIT:DATA:MONTHLY',
      newValue: String(megabytes * MB),
      isActive: true,
    },
  });
  return [
    usage(CHILD, 300),
    usage(CHILD, 300),
    usage(PARENT, 200, null),
    usage(CHILD, 300),
    limit('example-limit-lowered', 500),
    usage(CHILD, 100),
    usage(PARENT, 200, null),
    limit('example-limit-raised', 2048),
    usage(CHILD, 100),
  ].map((event) => JSON.stringify(event));
}
