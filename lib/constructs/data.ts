import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
  type WarmThroughput,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { LEDGER_TABLE, OUTBOX_TABLE } from '../../functions/adapters/dynamodb/table-layout';
import { type LedgerCapacity, provisionEveryEventIndex, provisionLedger } from './ledger-capacity';

export interface DataProps {
  readonly removalPolicy: RemovalPolicy;
  /** Deletion protection on both tables: the ledger is the source of truth. */
  readonly deletionProtection: boolean;
  /** Usage events a second the ledger must take from its first minute; 0 leaves it cold. */
  readonly warmEventsPerSecond: number;
  /** On-demand, or provisioned with auto scaling: the ledger only; the outbox stays on-demand. */
  readonly ledgerCapacity: LedgerCapacity;
  /** The usage API's index of a member's settlements: a write unit per settled event. */
  readonly memberSettlementsIndex: boolean;
}

/**
 * Write units a settled event costs, as measured with no batching window
 * (docs/capacity.md): the table's transactional writes, and up to one entry
 * in the period index (a family's new period item enters it, all families at
 * once when a month begins).
 */
const TABLE_WRITE_UNITS_PER_EVENT = 4.2;
const INDEX_WRITE_UNITS_PER_EVENT = 1;
/** What a new on-demand table takes at first; warm throughput below it is pointless. */
const ON_DEMAND_INITIAL_WRITE_UNITS = 4_000;

/** Warm throughput for a rate of usage events; reads are under 0.01 an event, so DynamoDB's initial ones suffice. */
export function ledgerWarmThroughput(eventsPerSecond: number): {
  readonly table: WarmThroughput | undefined;
  readonly index: WarmThroughput | undefined;
} {
  if (eventsPerSecond === 0) return { table: undefined, index: undefined };
  const writes = (unitsPerEvent: number) => ({
    writeUnitsPerSecond: Math.max(ON_DEMAND_INITIAL_WRITE_UNITS, Math.ceil(eventsPerSecond * unitsPerEvent)),
  });
  return { table: writes(TABLE_WRITE_UNITS_PER_EVENT), index: writes(INDEX_WRITE_UNITS_PER_EVENT) };
}

/**
 * The two tables of the settlement and outbox issues, from the same layout
 * constants the adapters and the local table definitions use: on-demand (the
 * ledger provisioned with auto scaling if asked), point-in-time recovery, KMS encryption; the outbox with its stream, TTL and
 * status index. Their names are generated: a table retained by a destroyed
 * stack would make a fixed name fail the next deploy.
 */
export class Data extends Construct {
  readonly ledger: Table;
  readonly outbox: Table;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // AWS-managed KMS key: encrypted and visible in CloudTrail, without a customer key policy to operate.
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    };

    const provisioned = props.ledgerCapacity.mode === 'provisioned' ? props.ledgerCapacity : null;
    // A new on-demand table throttles far below the settlement's write rate until DynamoDB has split it;
    // a provisioned one is split for its capacity when created.
    const warm = ledgerWarmThroughput(provisioned ? 0 : props.warmEventsPerSecond);
    this.ledger = new Table(this, 'Ledger', {
      ...common,
      ...(provisioned
        ? {
            billingMode: BillingMode.PROVISIONED,
            writeCapacity: provisioned.writeUnits.min,
            readCapacity: provisioned.readUnits.min,
          }
        : {}),
      warmThroughput: warm.table,
      partitionKey: { name: LEDGER_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: LEDGER_TABLE.sortKey, type: AttributeType.STRING },
      // Only settlement and rejection records carry it: their bound is in functions/core/settlement/retention.ts.
      timeToLiveAttribute: LEDGER_TABLE.ttlAttribute,
      stream: StreamViewType[LEDGER_TABLE.streamViewType],
    });
    const periodFamilies = LEDGER_TABLE.periodFamiliesIndex;
    this.ledger.addGlobalSecondaryIndex({
      indexName: periodFamilies.name,
      partitionKey: { name: periodFamilies.partitionKey, type: AttributeType.STRING },
      // The sort key is the numeric familyId.
      sortKey: { name: periodFamilies.sortKey, type: AttributeType.NUMBER },
      projectionType: ProjectionType.KEYS_ONLY,
      warmThroughput: warm.index,
      ...(provisioned ? { writeCapacity: 100, readCapacity: 10 } : {}),
    });
    provisionLedger(this.ledger, periodFamilies.name, props.ledgerCapacity);
    if (props.memberSettlementsIndex) {
      const settlements = LEDGER_TABLE.memberSettlementsIndex;
      this.ledger.addGlobalSecondaryIndex({
        indexName: settlements.name,
        partitionKey: { name: settlements.partitionKey, type: AttributeType.NUMBER },
        sortKey: { name: settlements.sortKey, type: AttributeType.NUMBER },
        projectionType: ProjectionType.INCLUDE,
        nonKeyAttributes: [...settlements.projected],
        // One entry per settled event, like the period index at a month's start: the same warm rate.
        warmThroughput: warm.index,
        ...(provisioned ? { writeCapacity: 100, readCapacity: 10 } : {}),
      });
      provisionEveryEventIndex(this.ledger, settlements.name, props.ledgerCapacity);
    }

    this.outbox = new Table(this, 'Outbox', {
      ...common,
      partitionKey: { name: OUTBOX_TABLE.partitionKey, type: AttributeType.STRING },
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: OUTBOX_TABLE.ttlAttribute,
    });
    const status = OUTBOX_TABLE.statusIndex;
    this.outbox.addGlobalSecondaryIndex({
      indexName: status.name,
      partitionKey: { name: status.partitionKey, type: AttributeType.STRING },
      sortKey: { name: status.sortKey, type: AttributeType.NUMBER },
      projectionType: ProjectionType.ALL,
    });
  }
}
