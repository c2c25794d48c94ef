import { TimeZone } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-applicationautoscaling';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';

/** How the ledger pays for throughput: per request, or provisioned with auto scaling (docs/capacity.md). */
export type LedgerCapacity =
  | { readonly mode: 'on-demand' }
  | {
      readonly mode: 'provisioned';
      readonly writeUnits: { readonly min: number; readonly max: number };
      readonly readUnits: { readonly min: number; readonly max: number };
      /** The settlement zone: when a month begins, every family's state is loaded and enters the period index. */
      readonly timeZone: string;
    };

/** Auto scaling keeps consumption near this share of what is provisioned: headroom for a minute's burst. */
export const TARGET_UTILIZATION_PERCENT = 70;
/** Table writes a settled event costs with no batching window (docs/capacity.md: open-loop figure). */
const TABLE_WRITE_UNITS_PER_EVENT = 4.2;
/** Reads a settled event costs in the first hours of a month, every family loaded once (cold W2 run). */
const COLD_READ_UNITS_PER_EVENT = 2;
/** The period index outside a month's start: a new family now and then. */
const INDEX_FLOOR_UNITS = 100;
const MONTH_START_HOURS = 2;

/** The event rate the minimum write capacity serves at the target utilisation. */
export const eventsPerSecondAt = (writeUnits: number): number =>
  Math.floor((writeUnits * TARGET_UTILIZATION_PERCENT) / 100 / TABLE_WRITE_UNITS_PER_EVENT);

/**
 * Provisioned capacity with auto scaling, for steady traffic: table writes and
 * reads track 70% utilisation between the parameters' bounds; the period index
 * is written once per family and month, nearly all at the month's start, so
 * it stays small and is raised, with the table's reads (every family's state
 * is loaded then), for the first hours of each month in the settlement zone.
 * Auto scaling takes minutes to react: the month start is scheduled, not
 * waited for.
 */
export function provisionLedger(ledger: Table, indexName: string, capacity: LedgerCapacity): void {
  if (capacity.mode !== 'provisioned') return;
  const { writeUnits, readUnits, timeZone } = capacity;
  const events = eventsPerSecondAt(writeUnits.min);
  const utilization = { targetUtilizationPercent: TARGET_UTILIZATION_PERCENT };
  ledger
    .autoScaleWriteCapacity({ minCapacity: writeUnits.min, maxCapacity: writeUnits.max })
    .scaleOnUtilization(utilization);
  const reads = ledger.autoScaleReadCapacity({ minCapacity: readUnits.min, maxCapacity: readUnits.max });
  reads.scaleOnUtilization(utilization);
  const indexWrites = ledger.autoScaleGlobalSecondaryIndexWriteCapacity(indexName, {
    minCapacity: INDEX_FLOOR_UNITS,
    maxCapacity: Math.max(INDEX_FLOOR_UNITS, eventsPerSecondAt(writeUnits.max)),
  });
  indexWrites.scaleOnUtilization(utilization);
  ledger
    .autoScaleGlobalSecondaryIndexReadCapacity(indexName, { minCapacity: 10, maxCapacity: 1_000 })
    .scaleOnUtilization(utilization);

  const zone = TimeZone.of(timeZone);
  const monthStart = Schedule.cron({ day: '1', hour: '0', minute: '0' });
  const afterMonthStart = Schedule.cron({ day: '1', hour: String(MONTH_START_HOURS), minute: '0' });
  const coldReads = Math.min(readUnits.max, Math.max(readUnits.min, events * COLD_READ_UNITS_PER_EVENT));
  reads.scaleOnSchedule('MonthStartReads', { schedule: monthStart, timeZone: zone, minCapacity: coldReads });
  reads.scaleOnSchedule('AfterMonthStartReads', {
    schedule: afterMonthStart,
    timeZone: zone,
    minCapacity: readUnits.min,
  });
  indexWrites.scaleOnSchedule('MonthStartIndexWrites', {
    schedule: monthStart,
    timeZone: zone,
    minCapacity: Math.max(INDEX_FLOOR_UNITS, events),
  });
  indexWrites.scaleOnSchedule('AfterMonthStartIndexWrites', {
    schedule: afterMonthStart,
    timeZone: zone,
    minCapacity: INDEX_FLOOR_UNITS,
  });
}

/**
 * An index with an entry per settled event (the member settlements index):
 * its writes track the event rate, one unit each, between the event rates the
 * table's write bounds carry.
 */
export function provisionEveryEventIndex(ledger: Table, indexName: string, capacity: LedgerCapacity): void {
  if (capacity.mode !== 'provisioned') return;
  const utilization = { targetUtilizationPercent: TARGET_UTILIZATION_PERCENT };
  const atTarget = (events: number) =>
    Math.max(INDEX_FLOOR_UNITS, Math.ceil((events * 100) / TARGET_UTILIZATION_PERCENT));
  ledger
    .autoScaleGlobalSecondaryIndexWriteCapacity(indexName, {
      minCapacity: atTarget(eventsPerSecondAt(capacity.writeUnits.min)),
      maxCapacity: atTarget(eventsPerSecondAt(capacity.writeUnits.max)),
    })
    .scaleOnUtilization(utilization);
  ledger
    .autoScaleGlobalSecondaryIndexReadCapacity(indexName, { minCapacity: 10, maxCapacity: 1_000 })
    .scaleOnUtilization(utilization);
}
