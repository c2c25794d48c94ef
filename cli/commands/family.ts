import { randomUUID } from 'node:crypto';
import { byteCount, period, positiveId } from '../args';
import { applyChanges, type ChangeBody, describeOutcome, operatorChanges } from '../changes';
import { BIN, type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import { UsageError } from '../errors';
import { readFamilies } from '../family-input';
import { type FamilyPutResult, putFamily } from '../family-refresh';
import { type FamilyView, familyView, RECENT_CHANGES } from '../family-view';
import { refuseUnchangedMembership } from '../membership';
import { formatBytes, formatTime, list, orDash, plural, printJson, printLines, table } from '../output';
import { describeEffective } from '../policy-text';

const put: Command = {
  path: 'family put',
  summary: 'create or replace families, their members, quotas and member policies from a JSON file',
  usage: 'family put --file F [--json]',
  help: `Puts each family as the file states it, through the same core the family and
policy events go through (the same versions, notifications and Redis update):
a FAMILY_UPSERTED with the quota and the complete member list (members not in
the file leave the family), then a policy change for each member value that
differs from the ledger's. Nothing is written if any family is invalid.

File format (policy fields are optional):
  { "familyId": 1001, "name": "Kim", "quotaBytes": 10000000000,
    "members": [ { "customerId": 11, "role": "OWNER" },
                 { "customerId": 12, "policy": { "monthlyLimitBytes": 2000000000,
                   "manualBlock": false, "blockWindow": { "start": "2300", "end": "0600" },
                   "blockedApps": ["com.game.app"] } } ] }

Options:
  --file F              the JSON file (required)
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values } = parseCommandLine(argv, { file: { type: 'string' }, ...JSON_OPTION });
    if (!values.file) throw new UsageError('--file is required');
    const families = readFamilies(values.file);
    const results: FamilyPutResult[] = [];
    for (const family of families) results.push(await putFamily(ctx, family));
    if (values.json) printJson(ctx.io, results);
    else printLines(ctx.io, ...results.map(describePut));
    return 0;
  },
};

function describePut(r: FamilyPutResult): string {
  const quota =
    r.previousQuotaBytes === null || r.previousQuotaBytes === r.quotaBytes
      ? `quota ${formatBytes(r.quotaBytes)}`
      : `quota ${formatBytes(r.previousQuotaBytes)} -> ${formatBytes(r.quotaBytes)}`;
  const redis = r.redisUpdated ? '' : ' (Redis not reachable: the next event loads the change)';
  const policies = r.created ? '' : `, ${plural(r.policiesChanged.length, 'policy value')} changed`;
  const members = plural(r.members, 'member');
  return `family ${r.familyId} ${r.created ? 'created' : 'updated'}: ${members}${policies}, ${quota}${redis}`;
}

const FAMILY_LINE = '  --family ID           the family (required)';
const CUSTOMER_LINE = '  --customer ID         the customer (required)';

/** A command that makes one family change from its options: --family and those `accepts` names. */
function familyChange(
  path: string,
  summary: string,
  synopsis: string,
  help: string,
  accepts: {
    readonly names: ReadonlyArray<'customer' | 'role' | 'bytes' | 'topup-id'>;
    readonly lines: string;
  },
  body: (values: Record<string, string | boolean | undefined>) => ChangeBody,
): Command {
  const options = Object.fromEntries(accepts.names.map((name) => [name, { type: 'string' } as const]));
  return {
    path,
    summary,
    usage: `${path} ${synopsis} [--json]`,
    help: `${help}

It goes through the same core as the family events (version, Redis update).

Options:
${FAMILY_LINE}
${accepts.lines}
${JSON_LINE}
${HELP_LINE}`,
    async run(argv, ctx) {
      const { values } = parseCommandLine(argv, { family: { type: 'string' }, ...options, ...JSON_OPTION });
      const change = body(values);
      if (change.kind === 'member-joined' || change.kind === 'member-left') {
        await refuseUnchangedMembership(ctx, change);
      }
      const [outcome] = await applyChanges(ctx, operatorChanges([change], ctx.config.settlement.timeZone));
      if (!outcome) return 1;
      if (values.json)
        printJson(ctx.io, outcome.kind === 'applied' ? { ...outcome, plan: undefined } : outcome);
      else printLines(ctx.io, describeOutcome(outcome));
      return 0;
    },
  };
}

const required = (name: string, value: unknown): string => {
  if (typeof value !== 'string') throw new UsageError(`${name} is required`);
  return value;
};

const role = (value: unknown) => {
  if (value === undefined) return 'MEMBER' as const;
  if (value === 'OWNER' || value === 'MEMBER') return value;
  throw new UsageError(`--role must be OWNER or MEMBER, got "${String(value)}"`);
};

const join = familyChange(
  'family join',
  'add a member to a family',
  '--family ID --customer ID [--role OWNER|MEMBER]',
  'Adds a customer to a family (MEMBER_JOINED); its next event is settled. A\ncustomer who already is a member is refused (exit 1): nothing is written.',
  {
    names: ['customer', 'role'],
    lines: `${CUSTOMER_LINE}\n  --role R              OWNER or MEMBER (default MEMBER)`,
  },
  (v) => ({
    kind: 'member-joined',
    familyId: positiveId('--family', v.family as string | undefined),
    customerId: positiveId('--customer', v.customer as string | undefined),
    role: role(v.role),
  }),
);

const leave = familyChange(
  'family leave',
  'remove a member from a family',
  '--family ID --customer ID',
  'Removes a customer from a family (MEMBER_LEFT); its next event is rejected as\nNOT_A_MEMBER. A customer who is not a member is refused (exit 1): nothing is\nwritten.',
  { names: ['customer'], lines: CUSTOMER_LINE },
  (v) => ({
    kind: 'member-left',
    familyId: positiveId('--family', v.family as string | undefined),
    customerId: positiveId('--customer', v.customer as string | undefined),
  }),
);

const quota = familyChange(
  'family quota',
  "change a family's data pool",
  '--family ID --bytes N',
  `Sets a family's quota (QUOTA_CHANGED): the pool of the current period becomes
the new quota minus what is used (0 or less left blocks the family's next
event); the previous period keeps its quota.`,
  { names: ['bytes'], lines: '  --bytes N             the new quota in bytes (required)' },
  (v) => ({
    kind: 'quota-changed',
    familyId: positiveId('--family', v.family as string | undefined),
    quotaBytes: byteCount('--bytes', required('--bytes', v.bytes)),
  }),
);

function positiveBytes(value: string): number {
  const bytes = byteCount('--bytes', value);
  if (bytes === 0) throw new UsageError('--bytes must be more than 0: a top-up adds data');
  return bytes;
}

const topup = familyChange(
  'family topup',
  "add data to a family's pool this month",
  '--family ID --bytes N [--topup-id ID]',
  `Adds data bought for the current period (TOPUP_ADDED): the pool grows by N
bytes at once and until the period ends. Members blocked because the pool was
empty are unblocked (CUSTOMER_UNBLOCKED) and warnings can fire again; the family
gets TOPUP_APPLIED. A top-up is taken once by its id: the same id again changes
nothing, with other bytes it is refused (exit 1).`,
  {
    names: ['bytes', 'topup-id'],
    lines: `  --bytes N             the data bought, in bytes (required, positive)
  --topup-id ID         the purchase's id (default: a new one)`,
  },
  (v) => ({
    kind: 'topup-added',
    familyId: positiveId('--family', v.family as string | undefined),
    topupId: typeof v['topup-id'] === 'string' ? v['topup-id'] : `cli-topup-${randomUUID()}`,
    bytes: positiveBytes(required('--bytes', v.bytes)),
  }),
);

const show: Command = {
  path: 'family show',
  summary: 'quota, usage per member, block states and recent changes of a family',
  usage: 'family show ID [--period yyyyMM] [--json]',
  help: `Shows a family as the ledger holds it for one period: quota, used and
remaining; per member the usage, policy, block state and alerts; and the
${RECENT_CHANGES} most recent family and policy changes. The period's settlements are
listed by \`usage settlements\`, from the settlement archive.

Options:
  --period yyyyMM       the period (default: the current one in the settlement zone)
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandLine(
      argv,
      { period: { type: 'string' }, ...JSON_OPTION },
      { max: 1, names: 'one family ID' },
    );
    const familyId = positiveId('family ID', positionals[0]);
    const view = await familyView(
      ctx,
      familyId,
      period(values.period, () => ctx.currentPeriod()),
    );
    if (values.json) printJson(ctx.io, view);
    else printLines(ctx.io, renderFamily(view));
    return 0;
  },
};

const share = (part: number, whole: number) => (whole > 0 ? ` (${Math.round((part / whole) * 100)}%)` : '');

function renderFamily(v: FamilyView): string {
  const at = (iso: string | null) => (iso ? formatTime(Date.parse(iso), v.timeZone) : '-');
  const alerts = (markers: ReadonlyArray<string>) => list(markers.map((m) => m.replace(/^\d+:/, '')));
  const members = table(
    [
      'CUSTOMER',
      'ROLE',
      'USED',
      'ZERO-RATED',
      'CORRECTED',
      'POLICY',
      'BLOCKED',
      'LAST BLOCK',
      'LAST BLOCKED AT',
      'BLOCK REASONS',
      'ALERTS',
    ],
    v.members.map((m) => [
      String(m.customerId),
      m.role,
      formatBytes(m.usedBytes),
      formatBytes(m.zeroRatedBytes),
      m.refundedBytes > 0 ? `-${formatBytes(m.refundedBytes)}` : '-',
      describeEffective(m.effectivePolicy, m.policySources),
      String(m.blockedEvents),
      orDash(m.lastBlockReason),
      at(m.lastBlockedAt),
      list(m.blockReasons),
      alerts(m.alerts),
    ]),
  );
  const changes =
    v.recentChanges.length === 0
      ? '(none recorded)'
      : table(
          ['APPLIED AT', 'EVENT', 'TYPE', 'CHANGE'],
          v.recentChanges.map((c) => [
            formatTime(c.appliedAt, v.timeZone),
            c.eventId,
            c.eventType,
            c.summary,
          ]),
        );
  return [
    `family ${v.familyId}${v.name ? ` (${v.name})` : ''}, period ${v.period}, times in ${v.timeZone}`,
    `quota      ${formatBytes(v.quotaBytes)}`,
    ...(v.topupBytes > 0
      ? [`top-ups    ${formatBytes(v.topupBytes)}`, `pool       ${formatBytes(v.poolBytes)}`]
      : []),
    `used       ${formatBytes(v.usedBytes)}${share(v.usedBytes, v.poolBytes)}`,
    `remaining  ${formatBytes(v.remainingBytes)}${share(v.remainingBytes, v.poolBytes)}`,
    '',
    'members',
    members,
    '',
    `settlements: ${BIN} usage settlements ${v.familyId} --period ${v.period} (from the settlement archive)`,
    '',
    'recent family and policy changes (newest first)',
    changes,
  ].join('\n');
}

export const familyCommands: ReadonlyArray<Command> = [put, join, leave, quota, topup, show];
