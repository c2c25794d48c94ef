import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf, shiftPeriod } from '../../functions/core/time';
import {
  msAgo as at,
  correction,
  familyEvent,
  uniqueId as id,
  mskEvent,
  mskRecord,
  policyUpdated,
  usage,
} from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';
import { apiEvent, contractErrors, usageApi } from '../helpers/usage-api';

/**
 * The usage API against real DynamoDB Local, on what the usage-events and
 * change-events functions committed: pool with top-ups, zero-rated usage,
 * limits and blocks, a period without usage, unknown families and members,
 * a member's settlements a page at a time with a correction, and every
 * answer checked against docs/api/openapi.json.
 */
const ZONE = 'Asia/Seoul';
const MB = 1_000_000;
let env: SettlementEnv;
let api: ReturnType<typeof usageApi>;
let nextFamily = 71_000 + Math.floor(Math.random() * 1_000) * 10;
let offset = 0;

beforeAll(async () => {
  env = await startSettlementEnv('usage-api');
  api = usageApi(env.config);
});
afterAll(() => env.stop());

const period = () => periodOf(Date.now(), ZONE);

/** GET a path; the answer must be one the OpenAPI document describes. */
async function get(path: string, query?: Record<string, string>) {
  const answer = await api(apiEvent(path, query));
  expect(contractErrors(path, answer)).toEqual([]);
  return answer;
}

async function family(quotaBytes = 10 * MB) {
  const familyId = ++nextFamily;
  const members = [
    { customerId: 11, role: 'OWNER' },
    { customerId: 12, role: 'MEMBER' },
  ];
  expect(
    await env.applyChanges(
      familyEvent(
        id('fam'),
        'FAMILY_UPSERTED',
        { familyId, totalQuotaBytes: quotaBytes, members },
        at(60_000),
      ),
    ),
  ).toEqual({ batchItemFailures: [] });
  return familyId;
}

async function settle(...events: Array<ReturnType<typeof usage> | ReturnType<typeof correction>>) {
  expect(await env.invoke(mskEvent(events.map((e) => mskRecord(0, ++offset, e))))).toEqual({
    batchItemFailures: [],
  });
}

describe('family and member usage', () => {
  it('shows the pool with its top-ups, zero-rated usage, limits and blocks as the ledger committed them', async () => {
    const f = await family();
    expect(
      await env.applyChanges(
        policyUpdated(id('pol'), { familyId: f }, 'ZERO_RATE:APP', 'com.kakao.talk', {
          timestamp: at(50_000),
        }),
        policyUpdated(id('pol'), { familyId: f, customerId: 12 }, 'LIMIT:DATA:MONTHLY', String(3 * MB), {
          timestamp: at(50_000),
        }),
      ),
    ).toEqual({ batchItemFailures: [] });
    expect(
      await env.applyChanges(
        familyEvent(
          id('top'),
          'TOPUP_ADDED',
          { familyId: f, topupId: `order-${f}`, bytes: 5 * MB },
          at(45_000),
        ),
      ),
    ).toEqual({ batchItemFailures: [] });
    await settle(
      usage(id('use'), f, 11, 4 * MB, { timestamp: at(40_000) }),
      usage(id('use'), f, 12, 2 * MB, { timestamp: at(30_000) }),
      usage(id('use'), f, 12, 5 * MB, { appId: 'com.kakao.talk', timestamp: at(20_000) }),
      usage(id('use'), f, 12, 2 * MB, { timestamp: at(10_000) }),
    );

    const { status, body } = await get(`/v1/families/${f}/usage`);

    expect(status).toBe(200);
    expect(body).toMatchObject({
      familyId: f,
      period: period(),
      quotaBytes: 10 * MB,
      topupBytes: 5 * MB,
      poolBytes: 15 * MB,
      usedBytes: 6 * MB,
      remainingBytes: 9 * MB,
      usedPercent: 40,
      members: [
        {
          customerId: 11,
          role: 'OWNER',
          usedBytes: 4 * MB,
          zeroRatedBytes: 0,
          limitBytes: null,
          blocked: false,
          blockReason: null,
        },
        {
          customerId: 12,
          role: 'MEMBER',
          usedBytes: 2 * MB,
          zeroRatedBytes: 5 * MB,
          limitBytes: 3 * MB,
          blocked: true,
          blockReason: 'MONTHLY_LIMIT_EXCEEDED',
        },
      ],
    });
    expect(body.version).toBeGreaterThan(0);

    const member = await get(`/v1/families/${f}/members/12/usage`, { period: period() });
    const { members: _members, ...pool } = body;
    expect(member).toEqual({
      status: 200,
      body: { ...pool, asOf: member.body.asOf, member: (body.members as unknown[])[1] },
    });
  });

  it('answers zeros for a period without usage, 404 for an unknown family or member', async () => {
    const f = await family(7 * MB);
    const earlier = shiftPeriod(period(), -5);

    expect(await get(`/v1/families/${f}/usage`, { period: earlier })).toMatchObject({
      status: 200,
      body: {
        quotaBytes: 7 * MB,
        topupBytes: 0,
        usedBytes: 0,
        remainingBytes: 7 * MB,
        usedPercent: 0,
        version: 0,
      },
    });
    expect(await get(`/v1/families/${f + 500_000}/usage`)).toEqual({
      status: 404,
      body: { message: `family ${f + 500_000} does not exist` },
    });
    expect(await get(`/v1/families/${f}/members/13/usage`)).toEqual({
      status: 404,
      body: { message: `customer 13 is not a member of family ${f}` },
    });
    expect((await get(`/v1/families/${f}/members/13/settlements`)).status).toBe(404);
  });

  it('refuses bad ids, periods and parameters with one line', async () => {
    const f = await family();
    for (const [path, query] of [
      ['/v1/families/0/usage', undefined],
      ['/v1/families/abc/members/11/usage', undefined],
      [`/v1/families/${f}/members/-1/usage`, undefined],
      [`/v1/families/${f}/usage`, { period: '202613' }],
      [`/v1/families/${f}/usage`, { period: '2026-12' }],
      [`/v1/families/${f}/usage`, { perid: '202612' }],
      [`/v1/families/${f}/members/11/settlements`, { limit: '0' }],
      [`/v1/families/${f}/members/11/settlements`, { cursor: 'not-ours' }],
    ] as const) {
      const { status, body } = await get(path, query);
      expect(status, path).toBe(400);
      expect(String(body.message)).not.toContain('\n');
    }
  });
});

describe("a member's settlements", () => {
  it('lists settled events newest first, a page at a time, with corrections, without rejections or correction records', async () => {
    const f = await family(100 * MB);
    const events = [5, 4, 3, 2, 1].map((minutesAgo, i) =>
      usage(id('use'), f, 11, (i + 1) * MB, {
        timestamp: at(minutesAgo * 60_000),
        appId: i === 2 ? 'com.video.app' : null,
      }),
    );
    await settle(...events, usage(id('use'), f, 12, MB), usage(id('stranger'), f, 99, MB));
    // A correction through the usage-events function: the event keeps its place and shows what it
    // counts now; the correction's own record (which has a member and an event time too) is not listed.
    await settle(correction(id('fix'), f, 11, events[1]?.eventId as string, 1_000));
    const path = `/v1/families/${f}/members/11/settlements`;

    const first = await get(path, { limit: '2' });
    const second = await get(path, { limit: '2', cursor: String(first.body.nextCursor) });
    const last = await get(path, { limit: '2', cursor: String(second.body.nextCursor) });

    const listed = [first, second, last].flatMap(
      (page) => page.body.settlements as Array<Record<string, unknown>>,
    );
    expect(listed.map((s) => s.eventId)).toEqual(events.map((e) => e.eventId).reverse());
    expect(last.body.nextCursor).toBeNull();
    expect(listed[2]).toEqual({
      eventId: events[2]?.eventId,
      eventTime: new Date(events[2]?.timestamp as string).toISOString(),
      appId: 'com.video.app',
      bytes: 3 * MB,
      decision: 'NORMAL',
      correctedBytes: null,
    });
    expect(listed[3]?.correctedBytes).toBe(1_000);
    expect(first.body).toMatchObject({ familyId: f, customerId: 11, period: period() });
  });

  it('is empty for a member without settlements in the period', async () => {
    const f = await family();
    expect(
      await get(`/v1/families/${f}/members/12/settlements`, { period: shiftPeriod(period(), -1) }),
    ).toEqual({
      status: 200,
      body: {
        familyId: f,
        customerId: 12,
        period: shiftPeriod(period(), -1),
        settlements: [],
        nextCursor: null,
      },
    });
  });
});
