import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PrerequisiteError } from '../../services/prerequisites';

const run = promisify(execFile);

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The Maven project that pins the Kafka version; the jars are its runtime dependencies. */
const KAFKA_POM = join(REPO_ROOT, 'kafka', 'pom.xml');
/** Outside git (.gitignore); the Maven local repository (~/.m2) caches the downloads themselves. */
const CACHE_ROOT = join(REPO_ROOT, '.cache', 'kafka');
/** Written last, so a fetch that died half-way is never mistaken for a complete classpath. */
const COMPLETE_MARKER = '.complete';

const FETCH_COMMAND = 'npm run kafka:fetch';

export class KafkaJarsMissingError extends PrerequisiteError {}

/** One directory per content of the pom: changing the pinned version fetches a fresh classpath. */
function kafkaJarsDir(): string {
  const digest = createHash('sha256').update(readFileSync(KAFKA_POM)).digest('hex').slice(0, 12);
  return join(CACHE_ROOT, digest);
}

function kafkaJarsPresent(dir = kafkaJarsDir()): boolean {
  return existsSync(join(dir, COMPLETE_MARKER)) && readdirSync(dir).some((f) => f.startsWith('kafka_'));
}

const mavenInstalled = (): boolean => spawnSync('mvn', ['-v'], { stdio: 'ignore' }).status === 0;

/** Copies the pom's runtime dependencies into the cache with Maven (Maven Central by default). */
export async function fetchKafkaJars(log: (line: string) => void = () => {}): Promise<string> {
  const dir = kafkaJarsDir();
  if (kafkaJarsPresent(dir)) return dir;
  if (!mavenInstalled()) {
    throw new KafkaJarsMissingError(
      `the Kafka broker jars are not in ${dir} and Maven (mvn) is not installed: install Maven and a JDK 17+, then run ${FETCH_COMMAND}`,
    );
  }
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  log(`fetching the Kafka broker jars with Maven into ${dir}`);
  try {
    await run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        KAFKA_POM,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${partial}`,
      ],
      { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
    );
    writeFileSync(join(partial, COMPLETE_MARKER), '');
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    const output = String((error as { stdout?: string }).stdout ?? '').trim();
    throw new KafkaJarsMissingError(
      `Maven could not fetch the Kafka broker jars (${(error as Error).message.split('\n')[0]})${output ? `:\n${output}` : ''}`,
    );
  }
  return dir;
}

/** The jars directory, fetching it first when Maven is available. */
export async function ensureKafkaJars(log?: (line: string) => void): Promise<string> {
  return kafkaJarsPresent() ? kafkaJarsDir() : fetchKafkaJars(log);
}
