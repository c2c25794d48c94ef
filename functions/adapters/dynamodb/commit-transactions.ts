import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { forEachConcurrently } from '../../core/concurrency';
import { InvariantError, isInvariantError, TransientError } from '../../core/errors';
import { backoffDelayMs, type RetryPolicy } from '../../core/retry';
import type { CommitOutcome, CommitResult, CommitUnit } from '../../core/settlement/ports';
import type { LedgerFate } from '../../core/settlement/records';
import { fateExpiry } from '../../core/settlement/retention';
import { classifyDynamoError } from './errors';
import { ledgerKeys } from './ledger-keys';
import { periodUsageUpdate, versionCondition } from './period-usage';
import { fateFromItem, rejectionItem, settlementItem } from './settlement-item';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's limits for one transaction: actions, and the items' aggregate size (kept well under 4 MB). */
const MAX_ACTIONS = 100;
const MAX_BYTES = 3_500_000;
/** Allowance for a period item, which an update rewrites whole. */
const PERIOD_ITEM_BYTES = 8_000;

const RETRYABLE_CANCELLATIONS = new Set([
  'None',
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
]);

interface Tables {
  readonly ledger: string;
  readonly outbox: string;
}

interface Owner {
  readonly unit: CommitUnit;
  readonly settlementOf?: string;
}

interface CancelledError {
  readonly name?: string;
  readonly CancellationReasons?: ReadonlyArray<{ Code?: string; Item?: Record<string, unknown> }>;
}

/**
 * Commits units packed into as few transactions as their size allows, several
 * in flight at once. When a transaction is cancelled, the reasons name the
 * actions that failed their condition: those units are answered as stale
 * (with the settlements that already exist) and the rest is sent again at
 * once, so one unit's conflict costs the others one retry, not their commit.
 * Throttling and conflicts with other writers are retried with backoff.
 */
export async function commitPacked(
  db: DynamoDBDocumentClient,
  tables: Tables,
  units: ReadonlyArray<CommitUnit>,
  options: { readonly retry: RetryPolicy; readonly concurrency: number; readonly fateRetentionDays: number },
): Promise<CommitResult> {
  const outcomes = new Map<CommitUnit, CommitOutcome>();
  let transactions = 0;
  const built = new Map(units.map((u) => [u, actionsOf(u, tables, options.fateRetentionDays)] as const));

  const commitGroup = async (group: CommitUnit[]): Promise<void> => {
    let members = group;
    for (let attempt = 1; members.length > 0; ) {
      const owners: Owner[] = [];
      const items: TransactItem[] = [];
      for (const unit of members) {
        for (const action of built.get(unit) ?? []) {
          owners.push({ unit, settlementOf: action.settlementOf });
          items.push(action.item);
        }
      }
      transactions++;
      let failure: unknown;
      try {
        await db.send(new TransactWriteCommand({ TransactItems: items }));
        for (const unit of members) outcomes.set(unit, { kind: 'committed' });
        return;
      } catch (error) {
        failure = error;
      }
      const cancelled = failure as CancelledError;
      const reasons = cancelled.CancellationReasons ?? [];
      if (cancelled.name === 'TransactionCanceledException' && reasons.length === items.length) {
        const stale = await staleUnits(db, tables, reasons, owners);
        const broken = brokenUnits(reasons, owners);
        if (stale.size > 0 || broken.size > 0) {
          for (const [unit, fates] of stale) outcomes.set(unit, { kind: 'stale', fates });
          for (const [unit, code] of broken) {
            if (stale.has(unit)) continue;
            const error = new InvariantError(
              'LEDGER_INVARIANT',
              `the ledger refused family ${unit.familyId}: ${code}`,
              {
                cause: failure,
              },
            );
            outcomes.set(unit, { kind: 'failed', error });
          }
          members = members.filter((u) => !stale.has(u) && !broken.has(u));
          continue;
        }
      } else if (cancelled.name !== 'TransactionCanceledException') {
        failure = classifyDynamoError(failure);
      }
      if (isInvariantError(failure) && members.length > 1) {
        // A refusal that names no action: halve the group until it names the unit.
        const half = Math.ceil(members.length / 2);
        await commitGroup(members.slice(0, half));
        await commitGroup(members.slice(half));
        return;
      }
      if (isInvariantError(failure) || attempt >= options.retry.maxAttempts) {
        const error = isInvariantError(failure)
          ? failure
          : new TransientError(`commit failed after ${attempt} attempts`, { cause: failure });
        for (const unit of members) outcomes.set(unit, { kind: 'failed', error });
        return;
      }
      await new Promise((r) => setTimeout(r, backoffDelayMs(options.retry, attempt)));
      attempt++;
    }
  };
  await forEachConcurrently(pack(units, built), options.concurrency, commitGroup);
  return { outcomes, transactions };
}

interface Action {
  readonly item: TransactItem;
  readonly settlementOf?: string;
  readonly bytes: number;
}

/**
 * The put of an event's fate (settlement or rejection) under its eventId: only
 * if absent, and a refusal returns the item there, so the retry knows its fate.
 */
function fatePut(tables: Tables, item: Record<string, unknown>, eventId: string): Action {
  return {
    item: {
      Put: {
        TableName: tables.ledger,
        Item: item,
        ConditionExpression: 'attribute_not_exists(PK)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    settlementOf: eventId,
    bytes: JSON.stringify(item).length,
  };
}

/** A unit's transaction actions: per period its settlements and notifications, then its version-checked update. */
function actionsOf(unit: CommitUnit, tables: Tables, fateRetentionDays: number): Action[] {
  const actions: Action[] = [];
  for (const period of unit.periods) {
    const expiresAt = fateExpiry(period.period, fateRetentionDays);
    for (const write of period.writes) {
      actions.push(fatePut(tables, settlementItem(write.record, expiresAt), write.record.eventId));
      if (write.outbox) {
        actions.push({
          item: {
            Put: {
              TableName: tables.outbox,
              Item: { ...write.outbox },
              ConditionExpression: 'attribute_not_exists(notificationId)',
            },
          },
          bytes: JSON.stringify(write.outbox).length,
        });
      }
    }
    for (const rejection of period.rejections) {
      actions.push(fatePut(tables, rejectionItem(rejection, expiresAt), rejection.eventId));
    }
    const nowMs = period.writes[0]?.record.settledAt ?? period.rejections[0]?.rejectedAt ?? 0;
    actions.push({
      item:
        period.writes.length + period.rejections.length > 0
          ? { Update: periodUsageUpdate(tables.ledger, unit.familyId, period, period.writes, nowMs) }
          : {
              ConditionCheck: {
                TableName: tables.ledger,
                Key: ledgerKeys.familyPeriod(unit.familyId, period.period),
                ...versionCondition(period.versionBefore),
              },
            },
      bytes: PERIOD_ITEM_BYTES,
    });
  }
  return actions;
}

/**
 * First fit: each unit goes into the first transaction it fits in, within
 * DynamoDB's limits and without a second write of the same settlement (two
 * families may carry the same eventId; only one can settle it).
 */
function pack(units: ReadonlyArray<CommitUnit>, built: ReadonlyMap<CommitUnit, Action[]>): CommitUnit[][] {
  const groups: Array<{ units: CommitUnit[]; actions: number; bytes: number; events: Set<string> }> = [];
  for (const unit of units) {
    const actions = built.get(unit) ?? [];
    const bytes = actions.reduce((n, a) => n + a.bytes, 0);
    const events = actions.flatMap((a) => (a.settlementOf === undefined ? [] : [a.settlementOf]));
    const fits = (g: (typeof groups)[number]) =>
      g.actions + actions.length <= MAX_ACTIONS &&
      g.bytes + bytes <= MAX_BYTES &&
      events.every((e) => !g.events.has(e));
    let group = groups.find(fits);
    if (!group) {
      group = { units: [], actions: 0, bytes: 0, events: new Set() };
      groups.push(group);
    }
    group.units.push(unit);
    group.actions += actions.length;
    group.bytes += bytes;
    for (const e of events) group.events.add(e);
  }
  return groups.map((g) => g.units);
}

/**
 * The units whose actions DynamoDB refused for a reason no retry changes (a
 * validation error, an item too large): they fail on their own, and the
 * others in the transaction are sent again without them.
 */
function brokenUnits(
  reasons: ReadonlyArray<{ Code?: string }>,
  owners: ReadonlyArray<Owner>,
): Map<CommitUnit, string> {
  const broken = new Map<CommitUnit, string>();
  for (const [i, reason] of reasons.entries()) {
    const code = reason.Code ?? 'None';
    const owner = owners[i];
    if (owner && code !== 'ConditionalCheckFailed' && !RETRYABLE_CANCELLATIONS.has(code))
      broken.set(owner.unit, code);
  }
  return broken;
}

/** The units whose actions failed a condition, with the fates of their events that turned out to exist. */
async function staleUnits(
  db: DynamoDBDocumentClient,
  tables: Tables,
  reasons: ReadonlyArray<{ Code?: string; Item?: Record<string, unknown> }>,
  owners: ReadonlyArray<Owner>,
): Promise<Map<CommitUnit, LedgerFate[]>> {
  const stale = new Map<CommitUnit, LedgerFate[]>();
  for (const [i, reason] of reasons.entries()) {
    const owner = owners[i];
    if (reason.Code !== 'ConditionalCheckFailed' || !owner) continue;
    const fates = stale.get(owner.unit) ?? [];
    stale.set(owner.unit, fates);
    if (owner.settlementOf === undefined) continue;
    const fate = reason.Item
      ? fateFromItem(unmarshall(reason.Item as Parameters<typeof unmarshall>[0]))
      : await readFate(db, tables, owner.settlementOf);
    if (fate) fates.push(fate);
  }
  return stale;
}

async function readFate(
  db: DynamoDBDocumentClient,
  tables: Tables,
  eventId: string,
): Promise<LedgerFate | null> {
  const { Item } = await db
    .send(
      new GetCommand({ TableName: tables.ledger, Key: ledgerKeys.settlement(eventId), ConsistentRead: true }),
    )
    .catch((e) => {
      throw classifyDynamoError(e);
    });
  return Item ? fateFromItem(Item) : null;
}
