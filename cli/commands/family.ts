import { period, positiveId } from '../args';
import { type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import { UsageError } from '../errors';
import { readFamilies } from '../family-input';
import { type FamilyPutResult, putFamily } from '../family-refresh';
import { type FamilyView, familyView, RECENT_SETTLEMENTS } from '../family-view';
import { formatBytes, formatTime, list, orDash, plural, printJson, printLines, table } from '../output';
import { describePolicy } from '../policy-text';

const put: Command = {
  path: 'family put',
  summary: 'create or update families, members, quotas and policies from a JSON file',
  usage: 'family put --file F [--json]',
  help: `Writes one family object, or an array of them, to the ledger and refreshes
Redis: the member set is reloaded, changed policies are re-read on the next
event, and the quota changes atomically in the current and previous period.
Members not in the file are kept. Nothing is written if any family is invalid.

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
  const redis = r.created
    ? ''
    : ` (Redis state of ${r.refreshedPeriods.join(', ')} reloads on the next event)`;
  const policies = r.created ? '' : `, ${plural(r.policiesChanged.length, 'policy', 'policies')} changed`;
  const members = plural(r.members, 'member');
  return `family ${r.familyId} ${r.created ? 'created' : 'updated'}: ${members}${policies}, ${quota}${redis}`;
}

const show: Command = {
  path: 'family show',
  summary: 'quota, usage per member, block states and recent settlements of a family',
  usage: 'family show ID [--period yyyyMM] [--json]',
  help: `Shows a family as the ledger holds it for one period: quota, used and
remaining; per member the usage, policy, block state and alerts; and the
${RECENT_SETTLEMENTS} most recent settlements.

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
      describePolicy(m.policy),
      String(m.blockedEvents),
      orDash(m.lastBlockReason),
      at(m.lastBlockedAt),
      list(m.blockReasons),
      alerts(m.alerts),
    ]),
  );
  const settlements =
    v.recentSettlements.length === 0
      ? '(none in this period)'
      : table(
          ['EVENT TIME', 'EVENT ID', 'CUSTOMER', 'BYTES', 'APP', 'DECISION'],
          v.recentSettlements.map((s) => [
            at(s.eventTime),
            s.eventId,
            String(s.customerId),
            formatBytes(s.bytesUsed),
            orDash(s.appId),
            s.decision,
          ]),
        );
  return [
    `family ${v.familyId}${v.name ? ` (${v.name})` : ''}, period ${v.period}, times in ${v.timeZone}`,
    `quota      ${formatBytes(v.quotaBytes)}`,
    `used       ${formatBytes(v.usedBytes)}${share(v.usedBytes, v.quotaBytes)}`,
    `remaining  ${formatBytes(v.remainingBytes)}${share(v.remainingBytes, v.quotaBytes)}`,
    '',
    'members',
    members,
    '',
    'recent settlements (newest first)',
    settlements,
  ].join('\n');
}

export const familyCommands: ReadonlyArray<Command> = [put, show];
