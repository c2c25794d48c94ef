import { changeLogFromItem } from '../functions/adapters/dynamodb/change-store';
import { ledgerKeys } from '../functions/adapters/dynamodb/ledger-keys';
import { queryAll } from '../functions/adapters/dynamodb/query-all';
import { FAMILY_EVENT_TYPES, POLICY_UPDATED } from '../functions/core/changes/change-event';
import type { ChangeLogEntry } from '../functions/core/changes/change-log';
import { decodeBase64Utf8, type MskRecord } from '../functions/core/kafka-record';
import type { DeadLetter } from '../functions/core/ports';
import type { StoreReaders } from './summary';

export interface ChangeSummary {
  received: number;
  applied: { total: number; byType: Record<string, number> };
  /** Not newer than what the ledger held for the same value (replays of an applied event included). */
  stale: number;
  rejected: { total: number; byReason: Record<string, number> };
  /** Records of another event type on a change topic. */
  skipped: number;
  /** Notifications the applied changes staged (blocks, unblocks, POLICY_CHANGED). */
  notificationsStaged: number;
  /** Top-ups applied (each purchase once) and the data they added. */
  topups: { applied: number; bytes: number };
}

const CONFIG_TYPES: ReadonlyArray<string> = [POLICY_UPDATED, ...FAMILY_EVENT_TYPES];

function envelopeOf(record: MskRecord): {
  eventId?: unknown;
  eventType?: unknown;
  payload?: { familyId?: unknown; bytes?: unknown };
} {
  const decoded = record.value === null ? null : decodeBase64Utf8(record.value);
  try {
    return decoded?.ok ? (JSON.parse(decoded.text) ?? {}) : {};
  } catch {
    return {};
  }
}

async function changesOf(readers: StoreReaders, familyId: number | null): Promise<ChangeLogEntry[]> {
  const items = await queryAll(readers.doc, {
    TableName: readers.ledgerTable,
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: {
      ':pk': ledgerKeys.change(familyId, '').PK,
      ':prefix': ledgerKeys.changePrefix,
    },
  });
  return items.map(changeLogFromItem);
}

/**
 * Accounts for every record of the policy and family topics from what the
 * stores hold: a dead letter (rejected, by reason), another event type
 * (skipped), the first record of an eventId the ledger's change history holds
 * (applied), or else ignored as not newer than the value it would replace (stale).
 */
export async function classifyChangeRecords(
  readers: StoreReaders,
  records: ReadonlyArray<MskRecord>,
  letters: ReadonlyArray<DeadLetter>,
  familyIds: ReadonlyArray<number>,
): Promise<ChangeSummary> {
  const envelopes = records.map((record) => ({ record, envelope: envelopeOf(record) }));
  const families = new Set<number | null>([null, ...familyIds]);
  for (const { envelope } of envelopes) {
    const id = envelope.payload?.familyId;
    if (typeof id === 'number') families.add(id);
  }
  const applied = new Map<string, ChangeLogEntry>();
  for (const familyId of families)
    for (const c of await changesOf(readers, familyId)) applied.set(c.eventId, c);

  const rejectedAt = new Map(
    letters.map((l) => [`${l.record.topic}:${l.record.partition}:${l.record.offset}`, l]),
  );
  const summary: ChangeSummary = {
    received: records.length,
    applied: { total: 0, byType: {} },
    stale: 0,
    rejected: { total: 0, byReason: {} },
    skipped: 0,
    notificationsStaged: 0,
    topups: { applied: 0, bytes: 0 },
  };
  const counted = new Set<string>();
  for (const { record, envelope } of envelopes) {
    const letter = rejectedAt.get(`${record.topic}:${record.partition}:${record.offset}`);
    if (letter) {
      summary.rejected.total++;
      summary.rejected.byReason[letter.reason] = (summary.rejected.byReason[letter.reason] ?? 0) + 1;
      continue;
    }
    if (typeof envelope.eventType === 'string' && !CONFIG_TYPES.includes(envelope.eventType)) {
      summary.skipped++;
      continue;
    }
    const change = applied.get(String(envelope.eventId));
    if (change && !counted.has(change.eventId)) {
      counted.add(change.eventId);
      summary.applied.total++;
      summary.applied.byType[change.eventType] = (summary.applied.byType[change.eventType] ?? 0) + 1;
      summary.notificationsStaged += change.notifications;
      if (change.eventType === 'TOPUP_ADDED') {
        summary.topups.applied++;
        summary.topups.bytes += Number(envelope.payload?.bytes ?? 0);
      }
    } else {
      summary.stale++;
    }
  }
  return summary;
}
