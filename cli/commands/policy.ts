import type { PolicyTarget } from '../../functions/core/changes/change-event';
import { type PolicyValue, parsePolicyValue } from '../../functions/core/changes/policy-keys';
import { booleanValue, byteCount, positiveId } from '../args';
import { applyChanges, type ChangeBody, describeOutcome, operatorChanges } from '../changes';
import { type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import { UsageError } from '../errors';
import { printJson, printLines } from '../output';

const NONE = 'none';

/** The option values given, as policy values; only given options appear. */
function valuesFrom(values: {
  limit?: string | undefined;
  'manual-block'?: string | undefined;
  window?: string | undefined;
  'block-apps'?: string | undefined;
  'free-apps'?: string | undefined;
}): PolicyValue[] {
  const changes: PolicyValue[] = [];
  const parsed = (key: PolicyValue['key'], option: string, raw: string | null) => {
    const result = parsePolicyValue(key, raw, true);
    if (!result.ok) throw new UsageError(`${option}: ${result.problem}`);
    return result.value;
  };
  if (values.limit !== undefined) {
    changes.push(
      parsed(
        'LIMIT:DATA:MONTHLY',
        '--limit',
        values.limit === NONE ? null : String(byteCount('--limit', values.limit)),
      ),
    );
  }
  if (values['manual-block'] !== undefined) {
    const blocked = booleanValue('--manual-block', values['manual-block']);
    changes.push({ key: 'BLOCK:ACCESS', blocked });
  }
  if (values.window !== undefined) {
    changes.push(parsed('BLOCK:TIME', '--window', values.window === NONE ? null : values.window));
  }
  const appSet = (key: 'BLOCK:APP' | 'ZERO_RATE:APP', option: 'block-apps' | 'free-apps') => {
    const given = values[option];
    if (given === undefined) return;
    const apps = given === NONE ? null : given;
    if (apps?.split(',').every((a) => a.trim() === '')) {
      throw new UsageError(`--${option} needs app ids (a,b) or none`);
    }
    changes.push(parsed(key, `--${option}`, apps));
  };
  appSet('BLOCK:APP', 'block-apps');
  appSet('ZERO_RATE:APP', 'free-apps');
  return changes;
}

function targetFrom(values: { family?: string; customer?: string; global?: boolean }): PolicyTarget {
  if (values.global) {
    if (values.family !== undefined || values.customer !== undefined) {
      throw new UsageError('--global sets the default for everyone: give no --family or --customer');
    }
    return { level: 'GLOBAL' };
  }
  if (values.family === undefined) {
    throw new UsageError(
      values.customer === undefined ? '--family (or --global) is required' : '--customer needs --family',
    );
  }
  const familyId = positiveId('--family', values.family);
  return values.customer === undefined
    ? { level: 'FAMILY', familyId }
    : { level: 'MEMBER', familyId, customerId: positiveId('--customer', values.customer) };
}

const set: Command = {
  path: 'policy set',
  summary:
    "set a member's, a family's or the global monthly limit, manual block, time window, blocked or free apps",
  usage:
    'policy set (--family ID [--customer ID] | --global) [--limit BYTES|none] [--manual-block true|false]\n' +
    '                        [--window HHmm-HHmm|none] [--block-apps a,b|none] [--free-apps a,b|none] [--json]',
  help: `Changes the given policy values at one level, through the same core as the
policy events: each value is versioned by the time of the command, written to
DynamoDB with its notifications (POLICY_CHANGED, and CUSTOMER_BLOCKED or
CUSTOMER_UNBLOCKED when the change starts or lifts a block now), then to
Redis under the same version. The next event of the family sees it. A member's
value wins over the family's, which wins over the global default; "none"
removes the value at that level. Global defaults reach every function within
GLOBAL_POLICY_REFRESH_SECONDS.

Options:
  --family ID           the family: its family-wide level, or with --customer a member's
  --customer ID         the member
  --global              the global default for every member
  --limit BYTES|none    monthly limit in bytes
  --manual-block B      true blocks all usage, false removes the block at this level
  --window W|none       daily block window in the settlement zone, HHmm-HHmm,
                        start inclusive, end exclusive; 2300-0600 spans midnight
  --block-apps A|none   comma-separated app ids to block (replaces the set)
  --free-apps A|none    comma-separated zero-rated app ids: their usage is recorded
                        but never charged to the pool or the limit (replaces the set);
                        a block still wins
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values } = parseCommandLine(argv, {
      family: { type: 'string' },
      customer: { type: 'string' },
      global: { type: 'boolean' },
      limit: { type: 'string' },
      'manual-block': { type: 'string' },
      window: { type: 'string' },
      'block-apps': { type: 'string' },
      'free-apps': { type: 'string' },
      ...JSON_OPTION,
    });
    const target = targetFrom(values);
    const policyValues = valuesFrom(values);
    if (policyValues.length === 0) {
      throw new UsageError(
        'nothing to change: give --limit, --manual-block, --window, --block-apps or --free-apps',
      );
    }
    const bodies: ChangeBody[] = policyValues.map((value) => ({ kind: 'policy', target, value }));
    const outcomes = await applyChanges(ctx, operatorChanges(bodies, ctx.config.settlement.timeZone));
    if (values.json) {
      printJson(
        ctx.io,
        outcomes.map((o) =>
          o.kind === 'applied'
            ? { kind: o.kind, notifications: o.outbox.length, redisUpdated: o.redisUpdated }
            : o,
        ),
      );
    } else {
      printLines(ctx.io, ...outcomes.map(describeOutcome));
    }
    return 0;
  },
};

export const policyCommands: ReadonlyArray<Command> = [set];
