import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_BUCKETS, ARCHIVE_COLUMNS } from '../../functions/core/archive/archive';
import { ENV } from '../../functions/runtime/env';
import { ARCHIVE_PREFIX, PARTITION_QUERY } from '../../lib/constructs/archive';
import { logicalId, SYNTH_TIMEOUT_MS, synthesize } from './support/synthesize';

let template: Template;

beforeAll(() => {
  template = synthesize().template;
}, SYNTH_TIMEOUT_MS);

const only = (type: string) => {
  const resources = Object.values(template.findResources(type));
  expect(resources).toHaveLength(1);
  // biome-ignore lint/suspicious/noExplicitAny: a synthesized template is untyped JSON.
  return resources[0]!.Properties as Record<string, any>;
};

describe('settlement archive', () => {
  it('feeds the archiver from the ledger stream with settlement, rejection and correction records only, retrying for most of a day', () => {
    const ledger = logicalId(template, 'AWS::DynamoDB::Table', 'DataLedger');
    const archiver = logicalId(template, 'AWS::Lambda::Function', 'FunctionsSettlementArchiver');
    const failures = logicalId(template, 'AWS::SQS::Queue', 'MessagingArchiveFailures');
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find(
      (m) => m.Properties.EventSourceArn?.['Fn::GetAtt']?.[0] === ledger,
    )!.Properties;
    expect(mapping).toMatchObject({
      FunctionName: { Ref: archiver },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failures, 'Arn'] } } },
    });
    // The stream keeps a record 24 hours: a batch must be retried while it can still be read.
    expect(mapping.MaximumRecordAgeInSeconds).toBeLessThan(24 * 3600);
    const filters = (mapping.FilterCriteria.Filters as { Pattern: string }[]).map((f) =>
      JSON.parse(f.Pattern),
    );
    expect(filters).toEqual([
      {
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: { NewImage: { type: { S: ['SETTLEMENT', 'REJECTION', 'CORRECTION'] } } },
      },
    ]);
  });

  it('gives the archiver nothing but PutRecordBatch on the delivery stream it is told about', () => {
    const stream = logicalId(template, 'AWS::KinesisFirehose::DeliveryStream', 'ArchiveDeliveryStream');
    const fn =
      template.findResources('AWS::Lambda::Function')[
        logicalId(template, 'AWS::Lambda::Function', 'FunctionsSettlementArchiver')
      ]!.Properties;
    expect(fn.Environment.Variables[ENV.archiveDeliveryStream]).toEqual({ Ref: stream });
    const role = fn.Role['Fn::GetAtt'][0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
      .flatMap(
        (p) =>
          p.Properties.PolicyDocument.Statement as { Sid?: string; Action: unknown; Resource: unknown }[],
      );
    expect(statements.find((s) => s.Sid === 'ArchiveDeliver')).toMatchObject({
      Action: 'firehose:PutRecordBatch',
      Resource: { 'Fn::GetAtt': [stream, 'Arn'] },
    });
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => String(a).startsWith('firehose:'))).toEqual(['firehose:PutRecordBatch']);
    expect(actions.some((a) => /^(s3|dynamodb:(Put|Update|Delete|BatchWrite))/.test(String(a)))).toBe(false);
  });

  it('splits the archiver records into lines and partitions them by period and family bucket, gzipped, encrypted', () => {
    const s3 = only('AWS::KinesisFirehose::DeliveryStream');
    expect(s3.DeliveryStreamType).toBe('DirectPut');
    expect(s3.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    const destination = s3.ExtendedS3DestinationConfiguration;
    expect(destination).toMatchObject({
      Prefix: `${ARCHIVE_PREFIX}period=!{partitionKeyFromQuery:period}/bucket=!{partitionKeyFromQuery:bucket}/`,
      CompressionFormat: 'GZIP',
      DynamicPartitioningConfiguration: { Enabled: true },
    });
    const processors = destination.ProcessingConfiguration.Processors as {
      Type: string;
      Parameters: { ParameterName: string; ParameterValue: string }[];
    }[];
    expect(processors.map((p) => p.Type)).toEqual([
      'RecordDeAggregation',
      'MetadataExtraction',
      'AppendDelimiterToRecord',
    ]);
    const query = processors[1]?.Parameters.find((p) => p.ParameterName === 'MetadataExtractionQuery');
    expect(query?.ParameterValue).toBe(PARTITION_QUERY);
    expect(PARTITION_QUERY).toBe(`{period: .period, bucket: (.familyId % ${ARCHIVE_BUCKETS})}`);
  });

  it('describes the archive to Athena as a Glue table with projected partitions in the same layout', () => {
    const bucket = logicalId(template, 'AWS::S3::Bucket', 'ArchiveBucket');
    const table = only('AWS::Glue::Table').TableInput;
    expect(table.PartitionKeys).toEqual([
      { Name: 'period', Type: 'string' },
      { Name: 'bucket', Type: 'int' },
    ]);
    expect(table.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.period.format': 'yyyyMM',
      'projection.bucket.range': `0,${ARCHIVE_BUCKETS - 1}`,
      'storage.location.template': {
        'Fn::Join': [
          '',
          ['s3://', { Ref: bucket }, `/${ARCHIVE_PREFIX}period=\${period}/bucket=\${bucket}/`],
        ],
      },
    });
    expect(table.StorageDescriptor.Columns).toEqual(
      ARCHIVE_COLUMNS.map(([name, type]) => ({ Name: name.toLowerCase(), Type: type })),
    );
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    template.hasOutput('ArchiveTable', {
      Value: { Ref: logicalId(template, 'AWS::Glue::Table', 'ArchiveTable') },
    });
  });

  it('keeps query results encrypted in the archive bucket and caps what a query scans', () => {
    const bucket = logicalId(template, 'AWS::S3::Bucket', 'ArchiveBucket');
    expect(only('AWS::Athena::WorkGroup').WorkGroupConfiguration).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      BytesScannedCutoffPerQuery: 200 * 1024 ** 3,
      ResultConfiguration: {
        OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: bucket }, '/athena-results/']] },
        EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
      },
    });
  });

  it(
    'moves archived fates to Glacier Instant Retrieval after 90 days and deletes them after the retention (0: never)',
    () => {
      const rule = (t: Template) =>
        (
          Object.values(t.findResources('AWS::S3::Bucket'))[0]!.Properties.LifecycleConfiguration.Rules as {
            Id: string;
          }[]
        ).find((r) => r.Id === 'settlements');
      expect(rule(template)).toMatchObject({
        Prefix: ARCHIVE_PREFIX,
        Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
        ExpirationInDays: 1827,
      });
      const forever = synthesize({ context: { settlementArchiveRetentionDays: '0' } }).template;
      expect(rule(forever)).not.toHaveProperty('ExpirationInDays');
    },
    SYNTH_TIMEOUT_MS,
  );
});
