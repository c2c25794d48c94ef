import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forEachConcurrently } from '../../core/concurrency';
import { type MemberPolicy, readStoredPolicy } from '../../core/family';
import { effectivePolicy } from '../../core/precedence';
import type { CommittedStateReader } from '../../core/snapshots/ports';
import type { CommittedPeriod } from '../../core/snapshots/usage-snapshot';
import { classifyDynamoError } from './errors';
import { ledgerKeys } from './ledger-keys';
import { readPeriodUsage } from './period-usage';

/** BatchGetItem takes at most 100 keys a request. */
const KEYS_PER_REQUEST = 100;
const REQUESTS_IN_FLIGHT = 8;
const MAX_ROUNDS = 5;

type Key = { PK: string; SK: string };
const keyOf = (k: Key) => `${k.PK}|${k.SK}`;

/**
 * What the usage snapshots are built from: each family's period item, its
 * family item and the changed members' items, by key, strongly consistent,
 * in as few BatchGetItem requests as fit (reads only: nothing is written for
 * a snapshot). The period item is read after the commit answered, so it holds
 * that commit or a later one, never a cancelled transaction's figures.
 */
export class DynamoCommittedStateReader implements CommittedStateReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async read(
    wanted: ReadonlyArray<{ familyId: number; period: string; customerIds: ReadonlyArray<number> }>,
    globalPolicy: MemberPolicy,
  ): Promise<CommittedPeriod[]> {
    const keys = new Map<string, Key>();
    const add = (k: Key) => keys.set(keyOf(k), k);
    for (const w of wanted) {
      add(ledgerKeys.familyPeriod(w.familyId, w.period));
      add(ledgerKeys.family(w.familyId));
      for (const c of w.customerIds) add(ledgerKeys.member(w.familyId, c));
    }
    const items = await this.batchGet([...keys.values()]);
    const policyOf = (k: Key) => readStoredPolicy(items.get(keyOf(k))?.policy).policy;
    const states: CommittedPeriod[] = [];
    for (const w of wanted) {
      const item = items.get(keyOf(ledgerKeys.familyPeriod(w.familyId, w.period)));
      if (!item) continue;
      const usage = readPeriodUsage(w.familyId, w.period, item);
      const family = policyOf(ledgerKeys.family(w.familyId));
      const members = new Map<number, { usedBytes: number; monthlyLimitBytes: number | null }>();
      for (const c of w.customerIds) {
        const own = policyOf(ledgerKeys.member(w.familyId, c));
        members.set(c, {
          usedBytes: usage.members.get(c)?.usedBytes ?? 0,
          monthlyLimitBytes: effectivePolicy(own, family, globalPolicy).monthlyLimitBytes,
        });
      }
      states.push({
        familyId: w.familyId,
        period: w.period,
        stampMs: usage.stampMs,
        quotaBytes:
          usage.quotaBytes ?? Number(items.get(keyOf(ledgerKeys.family(w.familyId)))?.quotaBytes ?? 0),
        familyUsedBytes: usage.usedBytes,
        members,
      });
    }
    return states;
  }

  private async batchGet(keys: ReadonlyArray<Key>): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    const chunks: Key[][] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_REQUEST) chunks.push(keys.slice(i, i + KEYS_PER_REQUEST));
    await forEachConcurrently(chunks, REQUESTS_IN_FLIGHT, async (chunk) => {
      let left: Array<Record<string, unknown>> = chunk;
      for (let round = 1; left.length > 0; round++) {
        if (round > MAX_ROUNDS) throw new Error(`${left.length} keys stayed unprocessed`);
        if (round > 1) await new Promise((r) => setTimeout(r, 20 * 2 ** round));
        const page = await this.db
          .send(
            new BatchGetCommand({
              RequestItems: { [this.table]: { Keys: left, ConsistentRead: true } },
            }),
          )
          .catch((e) => {
            throw classifyDynamoError(e);
          });
        for (const item of page.Responses?.[this.table] ?? []) {
          found.set(keyOf({ PK: String(item.PK), SK: String(item.SK) }), item);
        }
        left = page.UnprocessedKeys?.[this.table]?.Keys ?? [];
      }
    });
    return found;
  }
}
