import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BLOCK_REASONS, THRESHOLD_STATUSES, ZERO_RATED } from '../../functions/core/status-effects';
import { encodeCursor, parseUsageRequest } from '../../functions/core/usage-api/request';

/** The usage API's request line: what it accepts, and the one-line reason for what it does not. */
const parse = (path: string, query: Record<string, string> = {}, method = 'GET') =>
  parseUsageRequest({ method, path, query }, () => '202612', 'Asia/Seoul');

describe('a usage API request', () => {
  it('reads the three resources, the current period by default', () => {
    expect(parse('/v1/families/1001/usage')).toEqual({ kind: 'family', familyId: 1001, period: '202612' });
    expect(parse('/v1/families/1001/members/12/usage', { period: '202701' })).toEqual({
      kind: 'member',
      familyId: 1001,
      customerId: 12,
      period: '202701',
    });
    // 2026-12-05 in Seoul.
    const after = { eventTimeMs: 1_796_482_455_032, eventId: 'evt-#1' };
    expect(
      parse('/v1/families/1001/members/12/settlements', { limit: '5', cursor: encodeCursor(after) }),
    ).toEqual({ kind: 'settlements', familyId: 1001, customerId: 12, period: '202612', limit: 5, after });
    expect(parse('/v1/families/1001/members/12/settlements')).toMatchObject({ limit: 20, after: null });
  });

  it.each([
    ['/v1/families/01/usage', {}, 'familyId must be a positive integer, got "01"'],
    [
      '/v1/families/9007199254740992/usage',
      {},
      'familyId must be a positive integer, got "9007199254740992"',
    ],
    ['/v1/families/1/members/1.5/usage', {}, 'customerId must be a positive integer, got "1.5"'],
    [
      '/v1/families/1/usage',
      { period: '199912' },
      'period must be yyyyMM (a month of 2000-2999), got "199912"',
    ],
    [
      '/v1/families/1/usage',
      { period: '202600' },
      'period must be yyyyMM (a month of 2000-2999), got "202600"',
    ],
    ['/v1/families/1/usage', { limit: '5' }, 'unknown query parameter "limit" (allowed: period)'],
    [
      '/v1/families/1/members/2/settlements',
      { limit: '101' },
      'limit must be an integer from 1 to 100, got "101"',
    ],
    ['/v1/families/1/members/2/settlements', { cursor: 'W1si' }, 'cursor is not one this API returned'],
    [
      '/v1/families/1/members/2/settlements',
      { cursor: Buffer.from('[1,"\\ud800"]').toString('base64url') },
      'cursor is not one this API returned',
    ],
    [
      '/v1/families/1/members/2/settlements',
      // 2026-12-01 00:00 in Seoul is still November in UTC: the cursor's event time is outside 202612.
      { cursor: encodeCursor({ eventTimeMs: Date.UTC(2026, 10, 30, 14, 59, 59, 999), eventId: 'e' }) },
      'cursor is not one this API returned for period 202612',
    ],
    ['/v1/families/\n1/usage', {}, 'familyId must be a positive integer, got "?1"'],
  ])('refuses %s %j: %s', (path, query, message) => {
    expect(parse(path, query)).toEqual({ status: 400, message });
  });

  it('answers 404 for a path that is no resource and 405 for another method', () => {
    expect(parse('/v1/families/1')).toEqual({ status: 404, message: 'no resource at /v1/families/1' });
    expect(parse('/v1/families/1/usage', {}, 'POST')).toEqual({
      status: 405,
      message: 'only GET is allowed, got POST',
    });
  });
});

describe('the OpenAPI document', () => {
  const schemas = JSON.parse(readFileSync('docs/api/openapi.json', 'utf8')).components.schemas;

  it('names exactly the block reasons and decisions the settlement gives', () => {
    expect(schemas.MemberUsage.properties.blockReason.enum).toEqual(
      expect.arrayContaining([...BLOCK_REASONS, null]),
    );
    expect(schemas.MemberUsage.properties.blockReason.enum).toHaveLength(BLOCK_REASONS.length + 1);
    expect([...schemas.Settlement.properties.decision.enum].sort()).toEqual(
      ['NORMAL', ...THRESHOLD_STATUSES, ...BLOCK_REASONS, ZERO_RATED].sort(),
    );
  });
});
