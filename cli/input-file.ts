import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors';

/**
 * Checks on the file arguments of the CLI and of `npm start`, made before any
 * service is touched: a bad path is the user's mistake, reported as one line
 * that names the option (exit 2), never as a stack trace from deep inside.
 */

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

const reason = (error: unknown) => {
  const code = (error as { code?: string }).code ?? '';
  return REASONS[code] ?? (code || String(error));
};

/** The text of an input file; a missing, unreadable or non-regular file is a UsageError naming the option. */
export function readInputFile(option: string, path: string): string {
  try {
    if (!statSync(path).isFile()) throw Object.assign(new Error(), { code: 'EISDIR' });
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${option} ${path}: ${reason(error)}`);
  }
}

/**
 * That `path` can be written as a file or a directory: if it exists, it is of
 * that kind and writable; if not, its nearest existing ancestor is a writable
 * directory (missing directories are created when the output is written).
 */
export function checkOutputPath(option: string, path: string, kind: 'file' | 'directory'): void {
  const fail = (why: string): never => {
    throw new UsageError(`cannot write ${option} ${path}: ${why}`);
  };
  let target = resolve(path);
  let stats = statOrNull(target);
  if (stats) {
    if (kind === 'file' && stats.isDirectory()) fail('is a directory, not a file');
    if (kind === 'directory' && !stats.isDirectory()) fail('exists and is not a directory');
  } else {
    do {
      if (dirname(target) === target) fail('no part of the path exists');
      target = dirname(target);
      stats = statOrNull(target);
    } while (stats === null);
    if (!stats.isDirectory()) fail(`${target} is not a directory`);
  }
  try {
    accessSync(target, constants.W_OK);
  } catch {
    fail(`${target} is not writable`);
  }
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
