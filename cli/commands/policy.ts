import type { PolicyPatch } from '../../functions/adapters/dynamodb/family-store';
import { policySchema } from '../../functions/core/family';
import { systemClock } from '../../functions/core/ports';
import { booleanValue, byteCount, positiveId } from '../args';
import { type Command, HELP_LINE, JSON_LINE, JSON_OPTION, parseCommandLine } from '../command';
import { OperationError, UsageError } from '../errors';
import { refreshRedis } from '../family-refresh';
import { printJson, printLines } from '../output';
import { describePolicy } from '../policy-text';

const NONE = 'none';

/** The option values given, as a patch of policy fields; only given options appear in it. */
function patchFrom(values: {
  limit?: string | undefined;
  'manual-block'?: string | undefined;
  window?: string | undefined;
  'block-apps'?: string | undefined;
}): PolicyPatch {
  const patch: { -readonly [K in keyof PolicyPatch]: PolicyPatch[K] } = {};
  if (values.limit !== undefined) {
    patch.monthlyLimitBytes = values.limit === NONE ? null : byteCount('--limit', values.limit);
  }
  if (values['manual-block'] !== undefined) {
    patch.manualBlock = booleanValue('--manual-block', values['manual-block']);
  }
  if (values.window !== undefined) {
    patch.blockWindow = values.window === NONE ? null : blockWindow(values.window);
  }
  if (values['block-apps'] !== undefined) {
    patch.blockedApps = values['block-apps'] === NONE ? [] : blockedApps(values['block-apps']);
  }
  return patch;
}

function blockWindow(value: string) {
  const [start = '', end = '', ...rest] = value.split('-');
  const parsed = policySchema.shape.blockWindow.safeParse({ start, end });
  if (rest.length > 0 || !parsed.success || parsed.data === null) {
    throw new UsageError(`--window must be HHmm-HHmm (e.g. 2300-0600) or none, got "${value}"`);
  }
  return parsed.data;
}

function blockedApps(value: string): string[] {
  const parsed = policySchema.shape.blockedApps.safeParse(value.split(','));
  if (!parsed.success) throw new UsageError(`--block-apps: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  if (parsed.data.length === 0) throw new UsageError('--block-apps needs app ids (a,b) or none');
  return parsed.data;
}

const set: Command = {
  path: 'policy set',
  summary: "set a member's monthly limit, manual block, time window or blocked apps",
  usage:
    'policy set --family ID --customer ID [--limit BYTES|none] [--manual-block true|false]\n' +
    '                        [--window HHmm-HHmm|none] [--block-apps a,b|none] [--json]',
  help: `Changes only the given policy fields of one member in DynamoDB, then deletes
the member's cached policy in Redis: the next event re-reads it from DynamoDB.
App ids are normalised (trimmed, lower-case) like the usage path does.

Options:
  --family ID           the family (required)
  --customer ID         the member (required)
  --limit BYTES|none    monthly limit in bytes; none = unlimited
  --manual-block B      true blocks all usage of the member, false lifts it
  --window W|none       daily block window in the settlement zone, HHmm-HHmm,
                        start inclusive, end exclusive; 2300-0600 spans midnight
  --block-apps A|none   comma-separated app ids to block (replaces the list)
${JSON_LINE}
${HELP_LINE}`,
  async run(argv, ctx) {
    const { values } = parseCommandLine(argv, {
      family: { type: 'string' },
      customer: { type: 'string' },
      limit: { type: 'string' },
      'manual-block': { type: 'string' },
      window: { type: 'string' },
      'block-apps': { type: 'string' },
      ...JSON_OPTION,
    });
    const familyId = positiveId('--family', values.family);
    const customerId = positiveId('--customer', values.customer);
    const patch = patchFrom(values);
    if (Object.keys(patch).length === 0) {
      throw new UsageError('nothing to change: give --limit, --manual-block, --window or --block-apps');
    }
    const nowMs = systemClock.now();
    const changed = await ctx.families.setPolicy(familyId, customerId, patch, nowMs);
    if (!changed) throw new OperationError(`customer ${customerId} is not a member of family ${familyId}`);
    await refreshRedis(ctx, familyId, nowMs, 'policy set');
    if (values.json) {
      printJson(ctx.io, {
        familyId,
        customerId,
        ...changed,
        redis: 'family state reloaded on the next event',
      });
    } else {
      printLines(
        ctx.io,
        `policy of customer ${customerId} in family ${familyId} updated`,
        `  before: ${describePolicy(changed.before)}`,
        `  after:  ${describePolicy(changed.after)}`,
        '  Redis: family state dropped; the next event loads it with the new policy',
      );
    }
    return 0;
  },
};

export const policyCommands: ReadonlyArray<Command> = [set];
