import { spawnSync } from 'node:child_process';

/**
 * A program the local services need is missing or a given service does not
 * answer: the user's setup, not a bug, so it is reported in one line that
 * says what to install or set, without a stack trace.
 */
export class PrerequisiteError extends Error {
  override readonly name = 'PrerequisiteError';
}

/** Whether `command` runs at all (found on the PATH and executable). */
export function installed(command: string, versionArgs: ReadonlyArray<string>): boolean {
  return spawnSync(command, versionArgs, { stdio: 'ignore' }).status === 0;
}

export const JAVA_MISSING =
  'DynamoDB Local needs Java 17 or newer on the PATH ' +
  '(Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless; macOS: brew install openjdk@17).';
