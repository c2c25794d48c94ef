import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  newOutboxItem,
  OUTBOX_STATUS,
  type OutboxItem,
  type OutboxStatus,
} from '../../functions/core/outbox/item';
import { type CliEnv, currentPeriod, startCliEnv } from './support/cli-env';

let env: CliEnv;

beforeAll(async () => {
  env = await startCliEnv('cli-outbox');
});
afterAll(() => env?.stopAll());

let sequence = 0;

/** An outbox item written straight to the table in the given state, as the relay or sweeper would leave it. */
async function outboxItem(status: OutboxStatus): Promise<OutboxItem> {
  const now = Date.now();
  const eventId = `outbox-cli-${++sequence}-${Math.random().toString(36).slice(2, 8)}`;
  const base = newOutboxItem(
    {
      familyId: 77,
      customerId: 7,
      type: 'CUSTOMER_BLOCKED',
      data: {
        originEventId: eventId,
        eventTime: new Date(now).toISOString(),
        period: currentPeriod(),
        status: 'MANUAL',
        reason: 'MANUAL',
        bytesUsed: 100,
      },
    },
    now - 600_000,
    0,
  );
  const item: OutboxItem =
    status === OUTBOX_STATUS.failed
      ? { ...base, status, attempts: 5, nextAttemptAt: now - sequence, lastError: 'MalformedDetail: test' }
      : { ...base, status };
  await env.tables.doc.send(new PutCommand({ TableName: env.tables.names.outbox, Item: { ...item } }));
  return item;
}

interface Page {
  items: OutboxItem[];
  cursor?: string;
}

describe('outbox commands', () => {
  it('lists by status page by page, requeues one, then all FAILED items, and reports the backlog', async () => {
    const failed = [await outboxItem('FAILED'), await outboxItem('FAILED'), await outboxItem('FAILED')];
    const pending = await outboxItem('PUBLISH_PENDING');

    const first = await env.cliJson<Page>(['outbox', 'list', '--status', 'FAILED', '--limit', '2']);
    expect(first.items).toHaveLength(2);
    expect(first.cursor).toEqual(expect.any(String));
    const second = await env.cliJson<Page>([
      'outbox',
      'list',
      '--status',
      'failed',
      '--cursor',
      first.cursor!,
    ]);
    expect([...first.items, ...second.items].map((i) => i.notificationId).sort()).toEqual(
      failed.map((i) => i.notificationId).sort(),
    );
    const text = await env.cli(['outbox', 'list', '--status', 'FAILED', '--limit', '1']);
    expect(text.stdout).toMatch(/NOTIFICATION ID\s+STATUS/);
    expect(text.stdout).toContain('MalformedDetail: test');
    expect(text.stdout).toMatch(/more: --cursor \S+/);

    const [one] = failed as [OutboxItem, ...OutboxItem[]];
    const requeued = await env.cli(['outbox', 'requeue', one.notificationId]);
    expect(requeued).toMatchObject({
      code: 0,
      stdout: `requeued ${one.notificationId}: PUBLISH_PENDING, due now\n`,
    });
    const again = await env.cli(['outbox', 'requeue', one.notificationId]);
    expect(again).toMatchObject({
      code: 1,
      stderr: `usage-settlement: notification ${one.notificationId} is PUBLISH_PENDING, not FAILED: not requeued\n`,
    });
    expect(await env.cliJson(['outbox', 'requeue', '--all-failed'])).toEqual({ requeued: 2, skipped: 0 });
    expect((await env.cliJson<Page>(['outbox', 'list', '--status', 'FAILED'])).items).toEqual([]);
    const pendingIds = (await env.cliJson<Page>(['outbox', 'list', '--status', 'PENDING'])).items.map(
      (i) => i.notificationId,
    );
    expect(pendingIds.sort()).toEqual([pending, ...failed].map((i) => i.notificationId).sort());

    const backlog = await env.cliJson<{ pending: number; oldestAgeMs: number }>(['outbox', 'backlog']);
    expect(backlog.pending).toBe(4);
    expect(backlog.oldestAgeMs).toBeGreaterThanOrEqual(600_000);
    expect((await env.cli(['outbox', 'backlog'])).stdout).toMatch(/^4 pending, oldest created /);
  });

  it('requeues at most --limit items with --all-failed', async () => {
    await outboxItem('FAILED');
    await outboxItem('FAILED');
    expect(await env.cliJson(['outbox', 'requeue', '--all-failed', '--limit', '1'])).toEqual({
      requeued: 1,
      skipped: 0,
    });
    expect((await env.cliJson<Page>(['outbox', 'list', '--status', 'FAILED'])).items).toHaveLength(1);
  });

  it('rejects bad input with exit 2 and an unknown id with exit 1', async () => {
    const cases: Array<[string[], string]> = [
      [['outbox', 'list'], '--status is required'],
      [['outbox', 'list', '--status', 'LOST'], '--status must be one of PUBLISH_PENDING, SENT, FAILED'],
      [['outbox', 'list', '--status', 'FAILED', '--limit', '0'], '--limit must be an integer from 1 to 1000'],
      [['outbox', 'list', '--status', 'FAILED', '--cursor', 'not-a-cursor'], '--cursor must be a cursor'],
      [['outbox', 'requeue'], 'give either a notification ID or --all-failed'],
      [['outbox', 'requeue', 'abc', '--all-failed'], 'give either a notification ID or --all-failed'],
      [['outbox', 'requeue', 'abc', 'def'], 'unexpected argument: def'],
      [['outbox', 'purge'], 'unknown command "outbox purge"'],
    ];
    for (const [args, message] of cases) {
      const result = await env.cli(args);
      expect(result.code, message).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(await env.cli(['outbox', 'requeue', 'no-such-id'])).toMatchObject({
      code: 1,
      stderr: 'usage-settlement: notification no-such-id does not exist\n',
    });
  });
});
