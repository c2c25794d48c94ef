import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startFauxqs } from 'fauxqs';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalService,
  startDynamoDbLocal,
} from '../local/services/dynamodb-local';

/** Local AWS settings for every client the bench and the handlers build; never real credentials. */
export function useLocalAwsEnvironment(): void {
  const defaults: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
  for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;
}

export type SqsEmulator = Awaited<ReturnType<typeof startFauxqs>>;

/** What every run shares: one DynamoDB Local, one SQS emulator, and unmetered clients for setup and checks. */
export interface SharedServices {
  readonly dynamodb: LocalService;
  readonly sqs: SqsEmulator;
  readonly admin: DynamoDBClient;
  readonly adminDoc: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

export async function startSharedServices(): Promise<SharedServices> {
  const dynamodb = await startDynamoDbLocal();
  let sqs: SqsEmulator;
  try {
    sqs = await startFauxqs({ port: 0, logger: false });
  } catch (error) {
    await dynamodb.stop();
    throw error;
  }
  const admin = new DynamoDBClient({
    endpoint: dynamodb.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const adminDoc = createDocumentClient({ endpoint: dynamodb.endpoint, region: LOCAL_REGION });
  return {
    dynamodb,
    sqs,
    admin,
    adminDoc,
    stop: async () => {
      admin.destroy();
      adminDoc.destroy();
      await sqs.stop().catch(() => undefined);
      await dynamodb.stop();
    },
  };
}
