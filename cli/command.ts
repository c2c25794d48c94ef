import type { CliContext } from './context';
import { UsageError } from './errors';
import { type OptionSpec, parseOptionArgs } from './option-parser';

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

/** A command's options and at most `positionals.max` positionals; a mistake is a usage error (exit 2). */
export function parseCommandLine<O extends OptionSpec>(
  argv: string[],
  options: O,
  positionals: { readonly max: number; readonly names?: string } = { max: 0 },
) {
  const parsed = parseOptionArgs(argv, options, true);
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
