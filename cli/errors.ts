/** Exit codes of every command. */
export const EXIT = {
  ok: 0,
  /** The operation failed, or reconcile found drift it was not asked to fix. */
  failed: 1,
  /** Bad input: unknown command or option, malformed value, bad configuration. */
  usage: 2,
} as const;

/** Bad input: reported with a pointer to the command's --help, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The command understood its input but could not do what was asked, exit 1. */
export class OperationError extends Error {
  override readonly name = 'OperationError';
}
