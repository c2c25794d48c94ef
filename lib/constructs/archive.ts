import { ArnFormat, type CfnElement, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { LogGroup, LogStream, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARCHIVE_BUCKETS, ARCHIVE_COLUMNS } from '../../functions/core/archive/archive';

export interface ArchiveProps {
  /** 0 keeps archived fates forever. */
  readonly retentionDays: number;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** Where the archive's objects live in the bucket. */
export const ARCHIVE_PREFIX = 'settlements/';
const ERROR_PREFIX = 'archive-errors/';
const QUERY_RESULTS_PREFIX = 'athena-results/';
/** Older partitions are read rarely (audits, disputes): Glacier Instant Retrieval still answers Athena at once. */
const INSTANT_RETRIEVAL_AFTER = Duration.days(90);
/** Dynamic partitioning needs a buffer of at least 64 MiB; the interval bounds how late the archive runs. */
const BUFFER_MIB = 128;
const BUFFER_SECONDS = 300;
/** An operator's query reads one family bucket of a month; this stops one that forgot the partitions. */
const BYTES_SCANNED_CUTOFF = 200 * 1024 ** 3;

/**
 * The Firehose partitioning query: the period, and the family's bucket
 * computed as functions/core/archive/archive.ts computes it (familyBucket).
 */
export const PARTITION_QUERY = `{period: .period, bucket: (.familyId % ${ARCHIVE_BUCKETS})}`;

/**
 * The settlement archive: a bucket of gzipped JSON lines partitioned by
 * period and family bucket, the Firehose delivery stream the archiver writes
 * to (it splits the archiver's multi-line records and partitions each line),
 * and a Glue table over it with partition projection, so Athena reads it
 * without crawlers or partition maintenance. An Athena workgroup keeps query
 * results in the same bucket and caps what a query may scan.
 */
export class Archive extends Construct {
  readonly bucket: Bucket;
  readonly deliveryStream: CfnDeliveryStream;
  readonly database: CfnDatabase;
  readonly table: CfnTable;
  readonly workGroup: CfnWorkGroup;

  constructor(scope: Construct, id: string, props: ArchiveProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        {
          id: 'settlements',
          prefix: ARCHIVE_PREFIX,
          transitions: [
            {
              storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: INSTANT_RETRIEVAL_AFTER,
            },
          ],
          ...(props.retentionDays > 0 ? { expiration: Duration.days(props.retentionDays) } : {}),
        },
        { id: 'query-results', prefix: QUERY_RESULTS_PREFIX, expiration: Duration.days(7) },
        { id: 'delivery-errors', prefix: ERROR_PREFIX, expiration: Duration.days(30) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the delivery stream writes and Athena reads the archive; who reads it is in CloudTrail (Athena and Glue calls), and access logs would be a second, unread bucket.',
    });

    this.deliveryStream = this.createDeliveryStream(props);

    const account = Stack.of(this).account;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { description: 'usage-settlement: the settlement archive' },
    });
    this.table = new CfnTable(this, 'Table', {
      catalogId: account,
      databaseName: this.database.ref,
      tableInput: {
        name: 'settlements',
        description:
          'Every settlement and rejection record the ledger wrote, one row per write (dedupe by eventid)',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [
          { name: 'period', type: 'string' },
          { name: 'bucket', type: 'int' },
        ],
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.period.type': 'date',
          'projection.period.format': 'yyyyMM',
          'projection.period.range': 'NOW-10YEARS,NOW+1MONTHS',
          'projection.period.interval': '1',
          'projection.period.interval.unit': 'MONTHS',
          'projection.bucket.type': 'integer',
          'projection.bucket.range': `0,${ARCHIVE_BUCKETS - 1}`,
          'storage.location.template': `s3://${this.bucket.bucketName}/${ARCHIVE_PREFIX}period=\${period}/bucket=\${bucket}/`,
        },
        storageDescriptor: {
          location: `s3://${this.bucket.bucketName}/${ARCHIVE_PREFIX}`,
          // Hive column names are lower case; the JSON SerDe matches the camelCase fields regardless.
          columns: ARCHIVE_COLUMNS.map(([name, type]) => ({ name: name.toLowerCase(), type })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        },
      },
    });

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: `${Stack.of(this).stackName}-archive`,
      description: 'Queries of the settlement archive (usage-settlement usage settlements, operators)',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        bytesScannedCutoffPerQuery: BYTES_SCANNED_CUTOFF,
        resultConfiguration: {
          outputLocation: `s3://${this.bucket.bucketName}/${QUERY_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }

  private createDeliveryStream(props: ArchiveProps): CfnDeliveryStream {
    const logGroup = new LogGroup(this, 'DeliveryLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const logStream = new LogStream(this, 'DeliveryLogStream', {
      logGroup,
      removalPolicy: props.removalPolicy,
    });
    const role = new Role(this, 'DeliveryRole', {
      assumedBy: new ServicePrincipal('firehose.amazonaws.com'),
      description: 'Settlement archive delivery stream: writes the archive bucket and its own error log',
    });
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ArchiveBucketWrite',
        actions: [
          's3:AbortMultipartUpload',
          's3:GetBucketLocation',
          's3:GetObject',
          's3:ListBucket',
          's3:ListBucketMultipartUploads',
          's3:PutObject',
        ],
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: 'DeliveryErrorLog',
        actions: ['logs:PutLogEvents'],
        resources: [
          Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
      reason:
        'Firehose writes objects under partition prefixes it derives from each line: any key of the archive bucket.',
    });
    const stream = new CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: `${ARCHIVE_PREFIX}period=!{partitionKeyFromQuery:period}/bucket=!{partitionKeyFromQuery:bucket}/`,
        errorOutputPrefix: `${ERROR_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`,
        compressionFormat: 'GZIP',
        bufferingHints: { sizeInMBs: BUFFER_MIB, intervalInSeconds: BUFFER_SECONDS },
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        processingConfiguration: {
          enabled: true,
          processors: [
            // The archiver packs many lines into one record (ingestion is billed per 5 KB record).
            {
              type: 'RecordDeAggregation',
              parameters: [{ parameterName: 'SubRecordType', parameterValue: 'JSON' }],
            },
            {
              type: 'MetadataExtraction',
              parameters: [
                { parameterName: 'MetadataExtractionQuery', parameterValue: PARTITION_QUERY },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
            { type: 'AppendDelimiterToRecord', parameters: [] },
          ],
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    stream.node.addDependency(role);
    return stream;
  }
}
