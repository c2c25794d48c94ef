import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors';

/**
 * The command-line parser of the CLI, `npm start`, `npm run bench` and
 * `npm run chaos`: node:util parseArgs in strict mode, with every mistake a
 * one-line UsageError.
 */

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** -5, -0.5, -1e3: a negative number, which no option of this project is named like. */
const NEGATIVE_NUMBER = /^-\d/;

const isOptionLike = (arg: string) => arg.startsWith('-') && !NEGATIVE_NUMBER.test(arg);

/**
 * parseArgs takes `--limit -1` for an option missing its value followed by an
 * unknown option `-1`, and answers with a message about ambiguity that never
 * names the value. Here a negative number is a value like any other: after an
 * option that takes one it becomes `--limit=-1`, elsewhere a positional, so the
 * option's own check rejects it by name ("--limit must be ..., got "-1"").
 * Positionals move behind a `--`, in their order.
 */
function withNegativeNumbers(argv: ReadonlyArray<string>, options: OptionSpec): string[] {
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!isOptionLike(arg)) {
      positionals.push(arg);
      continue;
    }
    const next = argv[i + 1];
    const takesValue = arg.startsWith('--') && !arg.includes('=') && options[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && !isOptionLike(next) && next !== '--') {
      flags.push(`${arg}=${next}`);
      i++;
      continue;
    }
    flags.push(arg);
  }
  return positionals.length > 0 ? [...flags, '--', ...positionals] : flags;
}

export function parseOptionArgs<O extends OptionSpec>(
  argv: ReadonlyArray<string>,
  options: O,
  allowPositionals = false,
) {
  const args = withNegativeNumbers(argv, options);
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    // node:util's messages may span lines; a user gets one.
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.replace(/\s*\n\s*/g, ' '));
  }
}
