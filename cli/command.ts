import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CliContext } from './context';
import { UsageError } from './errors';

export const BIN = 'usage-settlement';

/** One command, e.g. `family put`: its help text and what it does. */
export interface Command {
  /** The words that select it: "family put", "reconcile". */
  readonly path: string;
  readonly summary: string;
  /** The synopsis, e.g. "family show ID [--period yyyyMM] [--json]". */
  readonly usage: string;
  /** Description and options: the rest of --help. */
  readonly help: string;
  run(argv: string[], ctx: CliContext): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs in strict mode, with its errors turned into usage
 * errors (one line, exit 2) instead of exceptions with stack traces.
 */
export function parseCommandLine<O extends Options>(
  argv: string[],
  options: O,
  positionals: { readonly max: number; readonly names?: string } = { max: 0 },
) {
  const parsed = asUsageError(() => parseArgs({ args: argv, options, allowPositionals: true, strict: true }));
  if (parsed.positionals.length > positionals.max) {
    const extra = parsed.positionals.slice(positionals.max).join(' ');
    throw new UsageError(
      positionals.max === 0
        ? `unexpected argument: ${extra}`
        : `unexpected argument: ${extra} (expected ${positionals.names})`,
    );
  }
  return parsed;
}

/** The common option every data-printing command takes. */
export const JSON_OPTION = { json: { type: 'boolean', default: false } } as const;

export const HELP_LINE = '  -h, --help            this text';
export const JSON_LINE = '  --json                print the result as JSON on stdout';

function asUsageError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    // node:util's messages may span lines; an operator gets one.
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.replace(/\s*\n\s*/g, ' '));
  }
}
