import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Change, Role } from '../../core/changes/change-event';
import { type ChangeLogEntry, changeLogEntry } from '../../core/changes/change-log';
import type {
  FamilyRecord,
  GlobalRecord,
  MemberRecord,
  PeriodRecord,
  PolicyVersions,
  TopupRecord,
} from '../../core/changes/family-records';
import type { GlobalRevision } from '../../core/changes/global-catch-up';
import type { ChangePlan, PeriodEdit } from '../../core/changes/plan-change';
import { isPolicyKey } from '../../core/changes/policy-keys';
import type { ChangeStore } from '../../core/changes/ports';
import { InvariantError } from '../../core/errors';
import { NO_POLICY, readStoredPolicy } from '../../core/family';
import type { OutboxItem } from '../../core/outbox/item';
import { outboxPut, type TransactItem, writePlanned } from './conditional-transaction';
import { classifyDynamoError } from './errors';
import { storedPolicy } from './family-store';
import { ledgerKeys } from './ledger-keys';
import { readPeriodUsage, screenUpdate, versionCondition } from './period-usage';
import { queryAll } from './query-all';

const MAX_TRANSACTION_ITEMS = 100;

function versionsOf(raw: unknown): PolicyVersions {
  const versions: Record<string, string> = {};
  if (typeof raw === 'object' && raw !== null) {
    for (const [key, value] of Object.entries(raw))
      if (isPolicyKey(key) && typeof value === 'string') versions[key] = value;
  }
  return versions;
}

const optionalText = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * The ledger side of family and policy changes: reads a family as a change is
 * planned against it, and commits a plan in one transaction under the
 * versions it was planned against (the family's live period items, the
 * global item's revision), so two writers can never interleave.
 */
export class DynamoChangeStore implements ChangeStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { readonly ledger: string; readonly outbox: string },
  ) {}

  async readFamily(familyId: number, periods: ReadonlyArray<string>): Promise<FamilyRecord> {
    const periodItems = await Promise.all(
      periods.map((p) => this.get(ledgerKeys.familyPeriod(familyId, p)).then((item) => ({ p, item }))),
    );
    const items = await queryAll(this.db, {
      TableName: this.tables.ledger,
      ConsistentRead: true,
      KeyConditionExpression: 'PK = :pk AND SK < :bound',
      ExpressionAttributeValues: {
        ':pk': ledgerKeys.familyPk(familyId),
        ':bound': ledgerKeys.directorySortKeyBound,
      },
    });
    const head = items.find((i) => i.SK === ledgerKeys.family(familyId).SK);
    const members = new Map<number, MemberRecord>();
    for (const item of items) {
      if (item === head) continue;
      const customerId = Number(item.customerId);
      members.set(customerId, {
        customerId,
        role: item.role === 'OWNER' ? 'OWNER' : 'MEMBER',
        active: item.active !== false,
        membershipVersion: optionalText(item.membershipVersion),
        policy: readStoredPolicy(item.policy).policy,
        policyVersions: versionsOf(item.policyVersions),
      });
    }
    return {
      familyId,
      exists: head !== undefined,
      name: optionalText(head?.name) ?? null,
      quotaBytes: Number(head?.quotaBytes ?? 0),
      quotaVersion: optionalText(head?.quotaVersion),
      membersVersion: optionalText(head?.membersVersion),
      policy: head?.policy === undefined ? NO_POLICY : readStoredPolicy(head.policy).policy,
      policyVersions: versionsOf(head?.policyVersions),
      members,
      periods: periodItems.map(({ p, item }): PeriodRecord => {
        const usage = readPeriodUsage(familyId, p, item);
        return {
          period: p,
          version: usage.version,
          stampMs: usage.stampMs,
          globalRevision: usage.globalRevision,
          quotaBytes: usage.quotaBytes,
          topupBytes: usage.topupBytes,
          used: new Map([...usage.members].map(([id, m]) => [id, m.usedBytes])),
          alerts: new Map([...usage.members].map(([id, m]) => [id, m.alerts])),
        };
      }),
    };
  }

  async readGlobal(): Promise<GlobalRecord> {
    const item = await this.get(ledgerKeys.globalPolicy());
    return {
      policy: item?.policy === undefined ? NO_POLICY : readStoredPolicy(item.policy).policy,
      policyVersions: versionsOf(item?.policyVersions),
      revision: Number(item?.rev ?? 0),
    };
  }

  async readTopup(topupId: string): Promise<TopupRecord | null> {
    const item = await this.get(ledgerKeys.topup(topupId));
    if (!item) return null;
    return {
      topupId,
      familyId: Number(item.familyId),
      bytes: Number(item.bytes),
      period: String(item.period),
      eventId: String(item.eventId),
    };
  }

  async commit(plan: ChangePlan, outbox: ReadonlyArray<OutboxItem>, nowMs: number): Promise<boolean> {
    const items: TransactItem[] = [];
    const { ledger } = this.tables;
    if (plan.topup) {
      // Taken once: a second event with this topupId finds it and changes nothing, or is refused.
      items.push({
        Put: {
          TableName: ledger,
          Item: { ...ledgerKeys.topup(plan.topup.topupId), type: 'TOPUP', ...plan.topup, appliedAt: nowMs },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      });
    }
    if (plan.global) {
      const before = plan.global.revision - 1;
      items.push({
        Put: {
          TableName: ledger,
          Item: {
            ...ledgerKeys.globalPolicy(),
            type: 'GLOBAL_POLICY',
            policy: storedPolicy(plan.global.policy),
            policyVersions: plan.global.policyVersions,
            rev: plan.global.revision,
            updatedAt: nowMs,
          },
          ConditionExpression: before === 0 ? 'attribute_not_exists(rev)' : 'rev = :rev',
          ...(before === 0 ? {} : { ExpressionAttributeValues: { ':rev': before } }),
        },
      });
    }
    if (plan.globalRevision) {
      const { revision, change, before, after } = plan.globalRevision;
      items.push({
        Put: {
          TableName: ledger,
          Item: {
            ...ledgerKeys.globalRevision(revision),
            type: 'GLOBAL_REVISION',
            revision,
            change: {
              eventId: change.eventId,
              eventType: change.eventType,
              timestampMs: change.timestampMs,
              version: change.version,
              value: change.value,
            },
            before: storedPolicy(before),
            after: storedPolicy(after),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      });
    }
    if (plan.family && plan.familyId !== null) {
      items.push({
        Put: {
          TableName: ledger,
          Item: {
            ...ledgerKeys.family(plan.familyId),
            type: 'FAMILY',
            familyId: plan.familyId,
            name: plan.family.name ?? undefined,
            quotaBytes: plan.family.quotaBytes,
            quotaVersion: plan.family.quotaVersion,
            membersVersion: plan.family.membersVersion,
            policy: storedPolicy(plan.family.policy),
            policyVersions: plan.family.policyVersions,
            updatedAt: nowMs,
          },
        },
      });
    }
    for (const member of plan.members) {
      items.push({
        Put: {
          TableName: ledger,
          Item: {
            ...ledgerKeys.member(plan.familyId as number, member.customerId),
            type: 'MEMBER',
            familyId: plan.familyId,
            customerId: member.customerId,
            role: member.role satisfies Role,
            active: member.active,
            membershipVersion: member.membershipVersion,
            policy: storedPolicy(member.policy),
            policyVersions: member.policyVersions,
            updatedAt: nowMs,
          },
        },
      });
    }
    for (const edit of plan.periods)
      items.push({ Update: periodUpdate(ledger, plan.familyId as number, edit, nowMs) });
    const entry = changeLogEntry(plan.change, outbox.length, nowMs);
    items.push({
      Put: {
        TableName: ledger,
        Item: {
          ...ledgerKeys.change(plan.familyId, entry.version),
          type: 'CHANGE',
          familyId: plan.familyId,
          ...entry,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    });
    for (const item of outbox) items.push(outboxPut(this.tables.outbox, item));
    if (items.length > MAX_TRANSACTION_ITEMS) {
      throw new InvariantError(
        'LEDGER_INVARIANT',
        `a change of family ${plan.familyId} needs ${items.length} writes, more than one transaction holds`,
      );
    }
    return writePlanned(this.db, items);
  }

  async globalRevisions(after: number, upTo: number): Promise<GlobalRevision[]> {
    const items = await queryAll(this.db, {
      TableName: this.tables.ledger,
      ConsistentRead: true,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': ledgerKeys.globalPolicy().PK,
        ':from': ledgerKeys.globalRevision(after + 1).SK,
        ':to': ledgerKeys.globalRevision(upTo).SK,
      },
    });
    return items.map((item) => {
      const change = item.change as Omit<Extract<Change, { kind: 'policy' }>, 'kind' | 'target'>;
      return {
        revision: Number(item.revision),
        change: { ...change, kind: 'policy', target: { level: 'GLOBAL' } },
        before: readStoredPolicy(item.before).policy,
        after: readStoredPolicy(item.after).policy,
      };
    });
  }

  /** The latest committed changes of a family (null: of the global level), newest first. */
  async recentChanges(familyId: number | null, limit: number): Promise<ChangeLogEntry[]> {
    const key = ledgerKeys.change(familyId, '');
    const { Items } = await this.db
      .send(
        new QueryCommand({
          TableName: this.tables.ledger,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': key.PK, ':prefix': ledgerKeys.changePrefix },
          ScanIndexForward: false,
          Limit: limit,
        }),
      )
      .catch((e) => {
        throw classifyDynamoError(e);
      });
    return (Items ?? []).map(changeLogFromItem);
  }

  private async get(key: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db
      .send(new GetCommand({ TableName: this.tables.ledger, Key: key, ConsistentRead: true }))
      .catch((e) => {
        throw classifyDynamoError(e);
      });
    return Item;
  }
}

/** A period item's share of a change: its version moves by one, under the version the change was planned against. */
export function periodUpdate(tableName: string, familyId: number, edit: PeriodEdit, nowMs: number) {
  const fence = versionCondition(edit.versionBefore);
  const sets = ['familyId = :f', '#period = :p', 'ver = :next', 'ts = :ts', 'configuredAt = :now'];
  if (edit.globalRevision !== undefined) sets.push('grev = :grev');
  const values: Record<string, unknown> = {
    ':f': familyId,
    ':p': edit.period,
    ':next': edit.versionBefore + 1,
    ':ts': edit.stampMs,
    ...(edit.globalRevision === undefined ? {} : { ':grev': edit.globalRevision }),
    ':now': nowMs,
    ...fence.ExpressionAttributeValues,
  };
  const names: Record<string, string> = { '#period': 'period' };
  if (edit.topup) {
    values[':topups'] = edit.topup.totalBytes;
    sets.push('topups = :topups');
  }
  if (edit.quota) {
    values[':quota'] = edit.quota.bytes;
    sets.push(edit.quota.mode === 'set' ? 'quota = :quota' : 'quota = if_not_exists(quota, :quota)');
  }
  const byMember = (list: ReadonlyArray<{ customerId: number; marker: string }>) => {
    const grouped = new Map<number, Set<string>>();
    for (const { customerId, marker } of list)
      grouped.set(customerId, (grouped.get(customerId) ?? new Set()).add(marker));
    return grouped;
  };
  const adds: string[] = [];
  if (edit.usage) {
    names['#usedBy'] = `used_${edit.usage.customerId}`;
    names['#refunded'] = `refunded_${edit.usage.customerId}`;
    values[':usage'] = edit.usage.deltaBytes;
    values[':refund'] = -edit.usage.deltaBytes;
    adds.push('usedBytes :usage', '#usedBy :usage', '#refunded :refund');
  }
  for (const [customerId, markers] of byMember(edit.alertsAdded)) {
    names[`#add${customerId}`] = `alerts_${customerId}`;
    values[`:add${customerId}`] = markers;
    adds.push(`#add${customerId} :add${customerId}`);
  }
  const deletes: string[] = [];
  for (const [customerId, markers] of byMember(edit.alertsRemoved)) {
    names[`#del${customerId}`] = `alerts_${customerId}`;
    values[`:del${customerId}`] = markers;
    deletes.push(`#del${customerId} :del${customerId}`);
  }
  for (const { customerId, blockReason } of edit.screens ?? []) {
    const screen = screenUpdate(customerId, blockReason ?? 'NORMAL');
    Object.assign(names, screen.names);
    Object.assign(values, screen.values);
    sets.push(...screen.sets);
  }
  return {
    TableName: tableName,
    Key: ledgerKeys.familyPeriod(familyId, edit.period),
    UpdateExpression: [
      `SET ${sets.join(', ')}`,
      adds.length > 0 ? `ADD ${adds.join(', ')}` : '',
      deletes.length > 0 ? `DELETE ${deletes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' '),
    ConditionExpression: fence.ConditionExpression,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export function changeLogFromItem(item: Record<string, unknown>): ChangeLogEntry {
  return {
    eventId: String(item.eventId),
    eventType: String(item.eventType),
    version: String(item.version),
    timestampMs: Number(item.timestampMs),
    appliedAt: Number(item.appliedAt),
    summary: String(item.summary),
    notifications: Number(item.notifications ?? 0),
  };
}
