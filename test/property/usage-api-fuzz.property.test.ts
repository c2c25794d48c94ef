import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { familyEvent, uniqueId as id, msAgo } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';
import { apiEvent, contractErrors, usageApi } from '../helpers/usage-api';

/**
 * Generated requests through the real usage API handler on DynamoDB Local:
 * ids, periods, limits, cursors and parameter names of every shape, valid or
 * not, for a family that exists and ones that do not. No answer is a 5xx;
 * every one is 200, 400 or 404 with a body the OpenAPI document describes,
 * and a 400 names its reason in one line.
 *
 * Reproduce a failure: fast-check prints the seed and the path; put them in
 * `{ seed, path }` of the fc.assert call.
 */
const SEED = 0x5a7e;
const RUNS = 500;
const DAY_MS = 86_400_000;
let env: SettlementEnv;
let api: ReturnType<typeof usageApi>;
let familyId = 0;

beforeAll(async () => {
  env = await startSettlementEnv('usage-api-fuzz');
  api = usageApi(env.config);
  familyId = 72_000 + Math.floor(Math.random() * 1_000);
  await env.applyChanges(
    familyEvent(
      id('fam'),
      'FAMILY_UPSERTED',
      { familyId, totalQuotaBytes: 1_000_000, members: [{ customerId: 11, role: 'OWNER' }] },
      msAgo(60_000),
    ),
  );
});
afterAll(() => env.stop());

const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1e3',
    '0x10',
    '9007199254740993',
    '99999999999999999999',
    '1.5',
    '%00',
    '..',
  ),
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
);
// The family that exists and its member, often: only their requests reach the settlements index.
const idText = fc.oneof(
  { arbitrary: fc.constant('FAMILY'), weight: 4 },
  { arbitrary: fc.constant('11'), weight: 4 },
  { arbitrary: fc.integer({ min: 1, max: 2 ** 40 }).map(String), weight: 1 },
  { arbitrary: nasty, weight: 1 },
);
// Mostly plausible values, so that requests get past one parameter to the next and to the ledger.
const periodText = fc.oneof(
  {
    arbitrary: fc
      .integer({ min: 2025, max: 2027 })
      .chain((y) => fc.integer({ min: 1, max: 12 }).map((m) => `${y}${String(m).padStart(2, '0')}`)),
    weight: 3,
  },
  fc
    .integer({ min: 1990, max: 3100 })
    .chain((y) => fc.integer({ min: 0, max: 13 }).map((m) => `${y}${String(m).padStart(2, '0')}`)),
  nasty,
);
const cursorText = fc.oneof(
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
  {
    arbitrary: fc
      .tuple(fc.integer({ min: -1, max: 2 ** 53 }), fc.string({ unit: 'binary', maxLength: 130 }))
      .map((t) => Buffer.from(JSON.stringify(t)).toString('base64url')),
    weight: 3,
  },
  // Event times of the periods around now, where the settlements index is read from the cursor on.
  {
    arbitrary: fc
      .tuple(
        fc.integer({ min: Date.now() - 40 * DAY_MS, max: Date.now() + 40 * DAY_MS }),
        fc.string({ unit: 'binary', maxLength: 130 }),
      )
      .map((t) => Buffer.from(JSON.stringify(t)).toString('base64url')),
    weight: 3,
  },
  // Lone surrogates escaped in the JSON: a key DynamoDB cannot store.
  fc
    .tuple(fc.nat(), fc.constantFrom('\\ud800', 'a\\udfff', 'evt-1'))
    .map(([t, e]) => Buffer.from(`[${t},"${e}"]`).toString('base64url')),
  fc.base64String({ maxLength: 200 }),
  nasty,
);
const query = fc.record(
  {
    period: periodText,
    limit: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 100 }).map(String), weight: 3 },
      fc.integer({ min: -5, max: 200 }).map(String),
      nasty,
    ),
    cursor: cursorText,
    other: fc.option(nasty, { freq: 4 }),
  },
  { requiredKeys: ['other'] },
);
const request = fc
  .tuple(
    fc.constantFrom('usage', 'member', 'settlements'),
    idText,
    idText,
    query,
    fc.constantFrom('period', 'limit', 'cursor', 'Period', 'offset'),
  )
  .map(([kind, family, customer, q, otherName]) => {
    const f = family === 'FAMILY' ? String(familyId) : family;
    const path =
      kind === 'usage'
        ? `/v1/families/${f}/usage`
        : `/v1/families/${f}/members/${customer}/${kind === 'member' ? 'usage' : 'settlements'}`;
    const { other, ...known } = q;
    const params: Record<string, string> = { ...known };
    if (other !== null) params[otherName] = other;
    return { path, params };
  })
  // A slash in an id is another path, which API Gateway routes (or refuses) before the handler.
  .filter(({ path }) => path.split('/').length === (path.includes('/members/') ? 7 : 5));

/** A page of the member's settlements after a generated cursor: past the parser, into the index. */
const settlementsPage = fc.record(
  {
    limit: fc.integer({ min: 1, max: 100 }).map(String),
    cursor: fc.oneof(
      fc
        .tuple(
          fc.integer({ min: Date.now() - 40 * DAY_MS, max: Date.now() + 40 * DAY_MS }),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 128 }),
        )
        .map((t) => Buffer.from(JSON.stringify(t)).toString('base64url')),
      cursorText,
    ),
  },
  { requiredKeys: ['cursor'] },
);

describe('the usage API on generated requests', () => {
  it("reads a member's settlements after any cursor without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(settlementsPage, async (params) => {
        const path = `/v1/families/${familyId}/members/11/settlements`;
        const answer = await api(apiEvent(path, params));
        expect([200, 400]).toContain(answer.status);
        expect(contractErrors(path, answer)).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('never answers 5xx, and every answer is one the OpenAPI document describes', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ path, params }) => {
        const answer = await api(apiEvent(path, params));
        expect([200, 400, 404]).toContain(answer.status);
        expect(contractErrors(path, answer)).toEqual([]);
        if (answer.status === 400) expect(String(answer.body.message)).toMatch(/^[^\n\r]{1,200}$/);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
