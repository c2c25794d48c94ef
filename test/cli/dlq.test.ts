import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayReport } from '../../cli/dlq-replay';
import { expireHeldChanges } from '../../functions/core/changes/held-changes';
import { ENV } from '../../functions/runtime/env';
import { changeRecord, mskEvent, mskRecord, policyUpdated, usage } from '../helpers/msk';
import { type CliEnv, currentPeriod, MB, nextFamilyId, startCliEnv } from './support/cli-env';

let env: CliEnv;

beforeAll(async () => {
  env = await startCliEnv('cli-dlq');
});
afterAll(() => env?.stopAll());

interface Listed {
  read: number;
  letters: Array<{ reason: string; eventId: string | null; partition: string; offset: number }>;
}

describe('dlq list and replay', () => {
  it('replays a record rejected as NOT_A_MEMBER after the member is added; still-invalid ones come back', async () => {
    const familyId = nextFamilyId();
    const family = { familyId, quotaBytes: 100 * MB, members: [{ customerId: 51 }] };
    await env.cliJson(['family', 'put', '--file', await env.file(family)]);
    const joiner = usage(`dlq-${familyId}-joiner`, familyId, 52, 2 * MB);
    const stranger = usage(`dlq-${familyId}-stranger`, familyId, 99, MB);
    const response = await env.invoke(
      mskEvent([
        mskRecord(3, 10, joiner),
        mskRecord(3, 11, '{ not json', { raw: true, key: String(familyId) }),
        mskRecord(4, 20, stranger),
      ]),
    );
    expect(response).toEqual({ batchItemFailures: [] });

    const listed = await env.cliJson<Listed>(['dlq', 'list']);
    expect(listed.read).toBe(3);
    expect(listed.letters.map((l) => [l.reason, l.partition, l.offset, l.eventId]).sort()).toEqual([
      ['MALFORMED_JSON', 'usage-events-3', 11, null],
      ['NOT_A_MEMBER', 'usage-events-3', 10, joiner.eventId],
      ['NOT_A_MEMBER', 'usage-events-4', 20, stranger.eventId],
    ]);
    const text = await env.cli(['dlq', 'list', '--reason', 'MALFORMED_JSON']);
    expect(text.stdout).toMatch(/MESSAGE ID\s+REASON/);
    expect(text.stdout).toContain('1 shown of 3 read');

    await env.cliJson([
      'family',
      'put',
      '--file',
      await env.file({ ...family, members: [...family.members, { customerId: 52 }] }),
    ]);
    const replay = await env.cliJson<ReplayReport>(['dlq', 'replay', '--reason', 'NOT_A_MEMBER']);

    expect(replay).toMatchObject({ received: 3, replayed: 2, skipped: 1, deleted: 2, unfinished: 0 });
    expect(replay.settlement).toMatchObject({ settled: { NORMAL: 1 }, rejected: { NOT_A_MEMBER: 1 } });
    const settled = await env.settlements(familyId, currentPeriod());
    expect(settled.map((s) => s.eventId)).toEqual([joiner.eventId]);
    expect(await env.usage(familyId, currentPeriod())).toBe(2 * MB);

    const all = await env.cli(['dlq', 'replay']);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('read 2: replayed 2, skipped 0 (other reason), unreadable 0');
    expect(all.stdout).toContain('rejected again (back in the queue with their reason): ');
    expect(all.stdout).toContain('deleted from the queue: 2; left for the next replay: 0');

    const left = await env.drainDeadLetters();
    expect(left.map((l) => [l.reason, l.eventId]).sort()).toEqual([
      ['MALFORMED_JSON', null],
      ['NOT_A_MEMBER', stranger.eventId],
    ]);
    expect(left.find((l) => l.reason === 'MALFORMED_JSON')?.record).toMatchObject({
      topic: 'usage-events',
      partition: 3,
      offset: 11,
    });
  });

  it('replays a rejected policy event through the change path, not as a usage event', async () => {
    const familyId = nextFamilyId();
    const family = { familyId, quotaBytes: 100 * MB, members: [{ customerId: 51 }] };
    await env.cliJson(['family', 'put', '--file', await env.file(family)]);
    const block = policyUpdated(`dlq-${familyId}-block`, { familyId, customerId: 52 }, 'BLOCK:ACCESS', '1');
    expect(await env.applyChange(mskEvent([changeRecord(block)]))).toEqual({ batchItemFailures: [] });
    // It waited for customer 52 to join, in vain: its wait ran out and it went to the dead-letter queue.
    await expireHeldChanges({
      held: env.changeDeps.held,
      deadLetters: env.changeDeps.deadLetters,
      clock: { now: () => Date.now() + env.config.heldChanges.waitMs + 1_000 },
      retry: env.changeDeps.retry,
      log: { warn: () => {} },
    });
    await env.cliJson([
      'family',
      'put',
      '--file',
      await env.file({ ...family, members: [...family.members, { customerId: 52 }] }),
    ]);

    const replay = await env.cliJson<ReplayReport>(['dlq', 'replay']);

    expect(replay).toMatchObject({ replayed: 1, deleted: 1, unfinished: 0, settlement: null });
    expect(replay.config).toMatchObject({ applied: { POLICY_UPDATED: 1 } });
    await env.settle(usage(`dlq-${familyId}-after`, familyId, 52, MB));
    const [settled] = await env.settlements(familyId, currentPeriod());
    expect(settled?.decision).toBe('MANUAL');
  });

  it('replays a record rejected on two deliveries once, and deletes both of its letters', async () => {
    const familyId = nextFamilyId();
    const family = { familyId, quotaBytes: 100 * MB, members: [{ customerId: 51 }] };
    await env.cliJson(['family', 'put', '--file', await env.file(family)]);
    await env.drainDeadLetters();
    const joiner = mskRecord(5, 30, usage(`dlq-${familyId}-twice`, familyId, 52, MB));
    await env.invoke(mskEvent([joiner]));
    await env.invoke(mskEvent([joiner]));
    const listed = await env.cliJson<Listed>(['dlq', 'list']);
    expect(listed.letters).toHaveLength(2);
    await env.cliJson([
      'family',
      'put',
      '--file',
      await env.file({ ...family, members: [...family.members, { customerId: 52 }] }),
    ]);

    const replay = await env.cliJson<ReplayReport>(['dlq', 'replay']);

    expect(replay).toMatchObject({ received: 2, replayed: 2, copies: 1, deleted: 2, unfinished: 0 });
    expect(replay.settlement).toMatchObject({ received: 1, settled: { NORMAL: 1 } });
    expect(await env.drainDeadLetters()).toEqual([]);
  });

  it('replays nothing from an empty queue and rejects bad input', async () => {
    await env.drainDeadLetters();
    expect(await env.cliJson<ReplayReport>(['dlq', 'replay'])).toMatchObject({ received: 0, replayed: 0 });
    const cases: Array<[string[], string]> = [
      [['dlq', 'replay', '--reason', 'BOGUS'], '--reason must be one of MALFORMED_JSON'],
      [['dlq', 'list', '--limit', '0'], '--limit must be an integer from 1 to 10000'],
      [['dlq', 'list', 'extra'], 'unexpected argument: extra'],
    ];
    for (const [args, message] of cases) {
      const result = await env.cli(args);
      expect(result.code, message).toBe(2);
      expect(result.stderr).toContain(message);
    }
    const unset = await env.cli(['dlq', 'list'], { [ENV.deadLetterQueueUrl]: undefined });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('DEAD_LETTER_QUEUE_URL is not set');
  });
});
