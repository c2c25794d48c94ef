import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { LEDGER_TABLE, OUTBOX_TABLE } from '../../functions/adapters/dynamodb/table-layout';

export interface DataProps {
  readonly removalPolicy: RemovalPolicy;
  /** Deletion protection on both tables: the ledger is the source of truth. */
  readonly deletionProtection: boolean;
}

/**
 * The two tables of the settlement and outbox issues, from the same layout
 * constants the adapters and the local table definitions use: on-demand,
 * point-in-time recovery, KMS encryption; the outbox with its stream, TTL and
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

    this.ledger = new Table(this, 'Ledger', {
      ...common,
      partitionKey: { name: LEDGER_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: LEDGER_TABLE.sortKey, type: AttributeType.STRING },
    });
    const familyPeriod = LEDGER_TABLE.familyPeriodIndex;
    this.ledger.addGlobalSecondaryIndex({
      indexName: familyPeriod.name,
      partitionKey: { name: familyPeriod.partitionKey, type: AttributeType.STRING },
      sortKey: { name: familyPeriod.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    const periodFamilies = LEDGER_TABLE.periodFamiliesIndex;
    this.ledger.addGlobalSecondaryIndex({
      indexName: periodFamilies.name,
      partitionKey: { name: periodFamilies.partitionKey, type: AttributeType.STRING },
      // The sort key is the numeric familyId.
      sortKey: { name: periodFamilies.sortKey, type: AttributeType.NUMBER },
      projectionType: ProjectionType.KEYS_ONLY,
    });

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
