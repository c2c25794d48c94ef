import { formatBytes } from '../cli/output';
import type { Summary } from './summary';

const n = (x: number) => x.toLocaleString('en-US');

function table(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

const lastSnapshot = (last: Summary['families'][number]['snapshots']['last']) =>
  last
    ? `, last: member ${last.customerId} ${formatBytes(last.memberUsedBytes)}, family ${last.familyUsedPercent}% used` +
      `${last.blocked ? `, blocked (${last.blockReason})` : ''}, version ${last.version}`
    : '';

/**
 * What the Redis-vs-DynamoDB check compared. A state at an older version than
 * the ledger's is outdated, not compared; when nothing was compared the line
 * says so rather than "consistent".
 */
function consistencyLine(c: Summary['consistency']): string {
  const compared = c.checked - c.outdated;
  const reloaded = 'reloaded at their next event';
  if (compared > 0) {
    const outdated = c.outdated > 0 ? `, ${n(c.outdated)} outdated in Redis (${reloaded})` : '';
    return `Consistency (Redis vs DynamoDB, ${n(compared)} family periods${outdated}): ${c.status}`;
  }
  if (c.status !== 'consistent') return `Consistency (Redis vs DynamoDB, nothing compared): ${c.status}`;
  const why =
    c.outdated > 0
      ? `the ${n(c.outdated)} family periods Redis holds are outdated (${reloaded})`
      : 'Redis holds no family period state';
  return `Consistency (Redis vs DynamoDB): nothing compared: ${why}`;
}

/** The human summary of a local run. */
export function formatSummary(s: Summary): string {
  const e = s.events;
  const decisions = Object.entries(e.settled.byDecision).sort(([, a], [, b]) => b - a);
  const reasons = Object.entries(e.rejected.byReason).sort(([, a], [, b]) => b - a);
  const corrections = e.corrected.applied + e.corrected.superseded;
  const balanced =
    e.settled.total + corrections + e.rejected.total + e.skipped + e.duplicates === e.received &&
    e.lost === 0;
  const c = s.config;
  const applied = Object.entries(c.applied.byType).sort(([, a], [, b]) => b - a);
  const changeReasons = Object.entries(c.rejected.byReason).sort(([, a], [, b]) => b - a);
  const out = [
    'Events',
    table([
      ['received', n(e.received)],
      ['settled', n(e.settled.total)],
      ...decisions.map(([d, c]): [string, string] => [`  ${d}`, n(c)]),
      ...(e.settled.byStore.ledger > 0
        ? [
            ['  decided with Redis', n(e.settled.byStore.redis)] as [string, string],
            ['  decided from DynamoDB alone (Redis out)', n(e.settled.byStore.ledger)] as [string, string],
          ]
        : []),
      ...(corrections > 0
        ? [
            ['corrections applied', n(e.corrected.applied)] as [string, string],
            ['corrections superseded (a newer one was applied)', n(e.corrected.superseded)] as [
              string,
              string,
            ],
          ]
        : []),
      ['duplicates', n(e.duplicates)],
      ['rejected', `${n(e.rejected.total)}  (dead letters: ${e.rejected.file})`],
      ...reasons.map(([r, c]): [string, string] => [`  ${r}`, n(c)]),
      ['skipped (other types)', n(e.skipped)],
      ['lost', n(e.lost)],
      [
        'accounted for',
        balanced
          ? `yes: received = settled + ${corrections > 0 ? 'corrections + ' : ''}duplicates + rejected + skipped`
          : 'NO',
      ],
    ]),
    '',
    'Family and policy events',
    table([
      ['received', n(c.received)],
      ['applied', n(c.applied.total)],
      ...applied.map(([t, count]): [string, string] => [`  ${t}`, n(count)]),
      ...(c.topups.applied > 0
        ? [
            ['top-ups applied', `${n(c.topups.applied)}  (${formatBytes(c.topups.bytes)} added)`] as [
              string,
              string,
            ],
          ]
        : []),
      ['stale (a newer value was there, or a top-up already taken)', n(c.stale)],
      ['rejected', `${n(c.rejected.total)}  (dead letters: ${e.rejected.file})`],
      ...changeReasons.map(([r, count]): [string, string] => [`  ${r}`, n(count)]),
      ['skipped (other types)', n(c.skipped)],
      [
        'accounted for',
        c.applied.total + c.stale + c.rejected.total + c.skipped === c.received
          ? 'yes: received = applied + stale + rejected + skipped'
          : 'NO',
      ],
    ]),
    '',
    'Notifications',
    table([
      ['due (owed by settlements and changes)', n(s.notifications.due)],
      ['staged in the outbox', n(s.notifications.staged)],
      ['sent', n(s.notifications.sent)],
      ['pending', n(s.notifications.pending)],
      ['failed', n(s.notifications.failed)],
      ['published to the sink', `${n(s.notifications.published)}  (${s.notifications.file})`],
      ...Object.entries(s.notifications.publishedByType)
        .sort(([, a], [, b]) => b - a)
        .map(([type, count]): [string, string] => [`  ${type}`, n(count)]),
    ]),
    '',
    'Live usage snapshots (USAGE_UPDATED)',
    table([['produced to the topic', `${n(s.usageSnapshots.published)}  (${s.usageSnapshots.topic})`]]),
    '',
    'Settlement archive',
    table([['events with their fate archived', `${n(s.archive.fates)}  (${s.archive.dir})`]]),
    '',
    'Throughput',
    table([
      ['settling time', `${s.throughput.seconds} s`],
      ['events/s', n(s.throughput.eventsPerSecond)],
      ['handler invocations', n(s.throughput.invocations)],
      ['records redelivered', n(s.throughput.redeliveredRecords)],
    ]),
    '',
    `Top ${s.families.length} families by usage, period ${s.period.id} (${s.period.unit} in ${s.period.timeZone})`,
    table(
      s.families.map((f): [string, string] => [
        `family ${f.familyId}`,
        `${formatBytes(f.usedBytes).padStart(10)} used of ${formatBytes(f.quotaBytes + f.topupBytes).padStart(10)}${f.topupBytes > 0 ? ` (with ${formatBytes(f.topupBytes)} of top-ups)` : ''}, ${formatBytes(f.remainingBytes).padStart(10)} left (${f.remainingPercent}%)` +
          `; ${n(f.snapshots.count)} snapshots${lastSnapshot(f.snapshots.last)}`,
      ]),
    ),
    '',
    consistencyLine(s.consistency),
    ...s.consistency.differences.map((d) => `  - ${d}`),
  ];
  return out.join('\n');
}
