import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SnapshotFigures } from './snapshot-sink';

/** What the settlement archiver did in a step: fates handed to the stand-in of its delivery stream. */
export interface ArchiverFigures {
  readonly archived: number;
  /** CPU seconds of the archiver's process over the step. */
  readonly cpuSeconds: number;
  /** Reads of the stream its mapping made in the step: per shard a GetShardIterator and one or more GetRecords. */
  readonly streamReads: number;
}

/** The ledger stream's functions, and the figures each gives for a step. */
export interface StreamFunctionFigures {
  readonly 'usage-snapshots': SnapshotFigures;
  readonly 'settlement-archiver': ArchiverFigures;
}
export type StreamFunction = keyof StreamFunctionFigures;

/** What the process needs: the function, the ledger's DynamoDB Local and the delay of each request to its destination. */
export interface StreamFunctionSpec<F extends StreamFunction = StreamFunction> {
  readonly fn: F;
  readonly endpoint: string;
  readonly table: string;
  readonly latencyMs: number;
}

/** The messages between the bench and the process. */
export type ToStreamFunction = { readonly type: 'arm' | 'begin' | 'finish' | 'close' };
export type FromStreamFunction =
  | { readonly type: 'ready' }
  | { readonly type: 'armed' }
  | { readonly type: 'figures'; readonly figures: StreamFunctionFigures[StreamFunction] }
  | { readonly type: 'failed'; readonly error: string };

export interface StreamFunctionProcess<F extends StreamFunction> {
  readonly pid: number | undefined;
  /** Moves the reader past what the stream holds and reads on from there (a mapping at LATEST). */
  arm(): Promise<void>;
  /** The step starts: the process's CPU is counted from now. */
  begin(): void;
  /** Hands over what the stream still holds and stops reading: the step's figures. */
  finish(): Promise<StreamFunctionFigures[F]>;
  /** Ends the process once it has let go of its clients. */
  close(): Promise<void>;
  /** Ends the process at once (a run that failed). */
  kill(): void;
}

const WORKER = new URL('./stream-function-worker.ts', import.meta.url);
/** On AWS it runs on other hosts: here it gets only the CPU that settlement's processes leave idle. */
const LOWEST_PRIORITY = 19;
/** Starting node with tsx, or reading the stream up to now, takes seconds; a minute means it is stuck. */
const READY_TIMEOUT_MS = 60_000;
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * A function of the ledger's stream (usage-snapshots, the settlement
 * archiver) in a process of its own, as on AWS, where it is another function:
 * its event loop is not the settlement's, and at the lowest scheduling
 * priority it takes only CPU the settlement leaves idle (its requests to
 * DynamoDB Local are still served beside the settlement's). One process
 * serves a run's steps, as a container that stays warm: it reads the stream
 * only while a step has armed it.
 */
export async function startStreamFunction<F extends StreamFunction>(
  spec: StreamFunctionSpec<F>,
): Promise<StreamFunctionProcess<F>> {
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
  const running: Running = { child, ended, fn: spec.fn };
  try {
    await answer(running, 'ready', READY_TIMEOUT_MS);
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    pid: child.pid,
    async arm() {
      send(child, { type: 'arm' });
      await answer(running, 'armed', READY_TIMEOUT_MS);
    },
    begin: () => send(child, { type: 'begin' }),
    async finish() {
      send(child, { type: 'finish' });
      return (await answer(running, 'figures')).figures as StreamFunctionFigures[F];
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

interface Running {
  readonly child: ChildProcess;
  /** How the process ended, once it has. */
  readonly ended: Promise<string>;
  readonly fn: StreamFunction;
}

/** A process that is gone takes no message: the answer awaited next reports how it ended. */
function send(child: ChildProcess, message: ToStreamFunction): void {
  if (child.connected) child.send(message, () => undefined);
}

/** The next message of `type`; a failure report, the process's end or the time limit rejects. */
function answer<T extends FromStreamFunction['type']>(
  { child, ended, fn }: Running,
  type: T,
  timeoutMs?: number,
): Promise<Extract<FromStreamFunction, { type: T }>> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: () => void) => {
      child.off('message', onMessage);
      clearTimeout(timer);
      outcome();
    };
    const onMessage = (message: FromStreamFunction) => {
      if (message.type === type) settle(() => resolve(message as Extract<FromStreamFunction, { type: T }>));
      else if (message.type === 'failed')
        settle(() => reject(new Error(`${fn} failed in the step: ${message.error}`)));
    };
    child.on('message', onMessage);
    if (timeoutMs !== undefined)
      timer = setTimeout(
        () => settle(() => reject(new Error(`${fn} process not ${type} within ${timeoutMs} ms`))),
        timeoutMs,
      );
    void ended.then((how) => settle(() => reject(new Error(`${fn} process ${how} before it was ${type}`))));
  });
}
