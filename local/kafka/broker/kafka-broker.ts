import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Admin } from '@platformatic/kafka';
import type { LocalService } from '../../services/dynamodb-local';
import { freePort } from '../../services/free-port';
import { PrerequisiteError } from '../../services/prerequisites';
import { stopChild } from '../../services/stop-child';
import { ensureKafkaJars } from './kafka-jars';

const run = promisify(execFile);

export interface KafkaBroker extends LocalService {
  /** host:port of the PLAINTEXT listener, for any Kafka client. */
  readonly bootstrap: string;
}

export interface KafkaBrokerOptions {
  readonly log?: (line: string) => void;
  readonly startTimeoutMs?: number;
}

const STOP_GRACE_MS = 10_000;

const java = () => (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java');

export class JavaUnavailableError extends PrerequisiteError {}

/** A small heap and a quick-starting JIT: the broker serves tests and a laptop, not throughput. */
const JVM_OPTIONS = [
  '-Xms128m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
];

/** Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding, never starting with "-". */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * One node that is broker and KRaft controller at once, listening on
 * 127.0.0.1 only. Internal topics have one replica and one partition, and a
 * group rebalances as soon as its members have joined, so a group forms in
 * milliseconds instead of the production defaults' seconds.
 */
function serverProperties(dir: string, port: number, controllerPort: number): string {
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(dir, 'data')}`,
    'num.network.threads=2',
    'num.io.threads=2',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=1000',
    // Topics exist because the harness created them; a typo in a producer fails instead of creating one.
    'auto.create.topics.enable=false',
  ].join('\n')}\n`;
}

const LOG4J2 = `${[
  'appender.out.type = Console',
  'appender.out.name = OUT',
  'appender.out.layout.type = PatternLayout',
  'appender.out.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = WARN',
  'rootLogger.appenderRef.out.ref = OUT',
].join('\n')}\n`;

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-8).join('\n');
  } catch {
    return '(no broker log)';
  }
}

async function answersMetadata(bootstrap: string): Promise<boolean> {
  const admin = new Admin({
    clientId: 'broker-probe',
    bootstrapBrokers: [bootstrap],
    retries: 0,
    timeout: 2_000,
  });
  try {
    const metadata = await admin.metadata({ topics: [] });
    return metadata.brokers.size > 0;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/**
 * A single-node Apache Kafka in KRaft mode, from the jars pinned in
 * kafka/pom.xml, as a child process on free ports with its log directories
 * in a fresh temporary directory. Stopped by its own pid (and killed when
 * this process exits), the directory removed.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  if (spawnSync(java(), ['-version'], { stdio: 'ignore' }).status !== 0) {
    throw new JavaUnavailableError('the Kafka broker needs Java 17+: install a JDK or set JAVA_HOME');
  }
  const jars = await ensureKafkaJars(options.log);
  const classpath = join(jars, '*');
  const dir = mkdtempSync(join(tmpdir(), 'kafka-broker-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const properties = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j2.properties');
  const logFile = join(dir, 'broker.log');
  writeFileSync(properties, serverProperties(dir, port, controllerPort));
  writeFileSync(log4j, LOG4J2);
  const javaArgs = [...JVM_OPTIONS, `-Dlog4j2.configurationFile=${log4j}`, '-cp', classpath];
  const removeDir = () => rmSync(dir, { recursive: true, force: true });

  try {
    await run(
      java(),
      [...javaArgs, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', properties],
      {
        timeout: 120_000,
      },
    );
  } catch (error) {
    removeDir();
    throw new Error(`formatting the Kafka log directory failed: ${(error as Error).message}`);
  }

  const out = openSync(logFile, 'a');
  // Its own process group: a terminal's Ctrl-C reaches npm start only, which stops this by its pid.
  const child = spawn(java(), [...javaArgs, 'kafka.Kafka', properties], {
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  const killOnExit = () => {
    child.kill('SIGKILL');
    removeDir();
  };
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child, STOP_GRACE_MS);
    removeDir();
  };

  const bootstrap = `127.0.0.1:${port}`;
  try {
    await untilReady(child, bootstrap, options.startTimeoutMs ?? 120_000);
  } catch (error) {
    const tail = logTail(logFile);
    await stop();
    throw new Error(`${(error as Error).message}\n${tail}`);
  }
  return { endpoint: bootstrap, bootstrap, pid: child.pid, stop };
}

async function untilReady(child: ChildProcess, bootstrap: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the Kafka broker exited (${child.exitCode ?? child.signalCode}) before it answered`);
    }
    if (await answersMetadata(bootstrap).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`the Kafka broker did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
