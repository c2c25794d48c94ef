import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SnapshotFigures } from './snapshot-sink';

/** What the usage-snapshots process needs: the ledger's DynamoDB Local and the produce delay. */
export interface SnapshotProcessSpec {
  readonly endpoint: string;
  readonly table: string;
  readonly latencyMs: number;
}

/** The messages between the bench and the usage-snapshots process. */
export type ToSnapshotProcess = { readonly type: 'arm' | 'begin' | 'finish' | 'close' };
export type FromSnapshotProcess =
  | { readonly type: 'ready' }
  | { readonly type: 'armed' }
  | { readonly type: 'figures'; readonly figures: SnapshotFigures }
  | { readonly type: 'failed'; readonly error: string };

export interface SnapshotProcess {
  readonly pid: number | undefined;
  /** Moves the reader past what the stream holds and reads on from there (a mapping at LATEST). */
  arm(): Promise<void>;
  /** The step starts: the process's CPU is counted from now. */
  begin(): void;
  /** Hands over what the stream still holds and stops reading: the step's figures. */
  finish(): Promise<SnapshotFigures>;
  /** Ends the process once it has let go of its clients. */
  close(): Promise<void>;
  /** Ends the process at once (a run that failed). */
  kill(): void;
}

const WORKER = new URL('./snapshot-worker.ts', import.meta.url);
/** On AWS it runs on other hosts: here it gets only the CPU that settlement's processes leave idle. */
const LOWEST_PRIORITY = 19;
/** Starting node with tsx, or reading the stream up to now, takes seconds; a minute means it is stuck. */
const READY_TIMEOUT_MS = 60_000;
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * usage-snapshots in a process of its own, as on AWS, where it is another
 * function: its event loop is not the settlement's, and at the lowest
 * scheduling priority it takes only CPU the settlement leaves idle (its
 * requests to DynamoDB Local are still served beside the settlement's). One
 * process serves a run's steps with the snapshots on, as a container that
 * stays warm: it reads the ledger stream only while a step has armed it.
 */
export async function startSnapshotProcess(spec: SnapshotProcessSpec): Promise<SnapshotProcess> {
  // nice, which then runs node in its place, lowers every thread's priority, the garbage collector's too.
  // The worker runs from its TypeScript source, whatever loader (tsx, vitest) runs this process.
  const child = spawn(
    'nice',
    [
      '-n',
      String(LOWEST_PRIORITY),
      process.execPath,
      '--import',
      'tsx',
      fileURLToPath(WORKER),
      JSON.stringify(spec),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  // 'close' comes after the IPC channel has handed over every message; 'error' when it could not start or be reached.
  const ended = new Promise<string>((resolve) => {
    child.once('close', (code, signal) => resolve(`exited (${signal ?? `code ${code}`})`));
    child.once('error', (error) => resolve(`failed: ${error.message}`));
  });
  try {
    await answer(child, ended, 'ready', READY_TIMEOUT_MS);
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    pid: child.pid,
    async arm() {
      send(child, { type: 'arm' });
      await answer(child, ended, 'armed', READY_TIMEOUT_MS);
    },
    begin: () => send(child, { type: 'begin' }),
    async finish() {
      send(child, { type: 'finish' });
      return (await answer(child, ended, 'figures')).figures;
    },
    async close() {
      send(child, { type: 'close' });
      const timer = setTimeout(() => child.kill(), CLOSE_TIMEOUT_MS);
      await ended;
      clearTimeout(timer);
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}

/** A process that is gone takes no message: the answer awaited next reports how it ended. */
function send(child: ChildProcess, message: ToSnapshotProcess): void {
  if (child.connected) child.send(message, () => undefined);
}

/** The next message of `type`; a failure report, the process's end or the time limit rejects. */
function answer<T extends FromSnapshotProcess['type']>(
  child: ChildProcess,
  ended: Promise<string>,
  type: T,
  timeoutMs?: number,
): Promise<Extract<FromSnapshotProcess, { type: T }>> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: () => void) => {
      child.off('message', onMessage);
      clearTimeout(timer);
      outcome();
    };
    const onMessage = (message: FromSnapshotProcess) => {
      if (message.type === type) settle(() => resolve(message as Extract<FromSnapshotProcess, { type: T }>));
      else if (message.type === 'failed')
        settle(() => reject(new Error(`usage-snapshots failed in the step: ${message.error}`)));
    };
    child.on('message', onMessage);
    if (timeoutMs !== undefined)
      timer = setTimeout(
        () => settle(() => reject(new Error(`usage-snapshots process not ${type} within ${timeoutMs} ms`))),
        timeoutMs,
      );
    void ended.then((how) =>
      settle(() => reject(new Error(`usage-snapshots process ${how} before it was ${type}`))),
    );
  });
}
