import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { forEachConcurrently } from '../../core/concurrency';
import { readStoredPolicy } from '../../core/family';
import type { FamilyLimits, FamilyLimitsSource, LimitsWanted } from '../../core/snapshots/period-commits';
import { classifyDynamoError } from './errors';
import { ledgerKeys } from './ledger-keys';

/** BatchGetItem takes at most 100 keys a request. */
const KEYS_PER_REQUEST = 100;
const REQUESTS_IN_FLIGHT = 8;
const MAX_ROUNDS = 5;

type Key = { PK: string; SK: string };
const keyOf = (k: Key) => `${k.PK}|${k.SK}`;

/**
 * The family and member items the snapshots' limits come from, by key, in
 * as few BatchGetItem requests as fit. A `fresh` family (a change wrote it
 * moments ago) is read strongly consistent: a limit change commits the member
 * or family item with the period item the stream brings, and its snapshot
 * shows the new limit. The others are read eventually consistent, at half the
 * read units. The figures themselves come from the stream.
 */
export class DynamoFamilyLimits implements FamilyLimitsSource {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async read(wanted: ReadonlyArray<LimitsWanted>): Promise<ReadonlyMap<number, FamilyLimits>> {
    const keys = { fresh: new Map<string, Key>(), settled: new Map<string, Key>() };
    for (const w of wanted) {
      const group = w.fresh ? keys.fresh : keys.settled;
      const family = ledgerKeys.family(w.familyId);
      group.set(keyOf(family), family);
      for (const c of w.customerIds) {
        const member = ledgerKeys.member(w.familyId, c);
        group.set(keyOf(member), member);
      }
    }
    const [fresh, settled] = await Promise.all([
      this.batchGet([...keys.fresh.values()], true),
      this.batchGet([...keys.settled.values()], false),
    ]);
    const items = new Map([...settled, ...fresh]);
    const limits = new Map<number, FamilyLimits>();
    for (const w of wanted) {
      const family = items.get(keyOf(ledgerKeys.family(w.familyId)));
      if (!family) continue;
      limits.set(w.familyId, {
        quotaBytes: Number(family.quotaBytes ?? 0),
        familyPolicy: readStoredPolicy(family.policy).policy,
        memberPolicies: new Map(
          w.customerIds.map((c) => [
            c,
            readStoredPolicy(items.get(keyOf(ledgerKeys.member(w.familyId, c)))?.policy).policy,
          ]),
        ),
      });
    }
    return limits;
  }

  private async batchGet(
    keys: ReadonlyArray<Key>,
    consistent: boolean,
  ): Promise<Map<string, Record<string, unknown>>> {
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
              RequestItems: { [this.table]: { Keys: left, ConsistentRead: consistent } },
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
