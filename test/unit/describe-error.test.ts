import { describe, expect, it } from 'vitest';
import { describeError, TransientError } from '../../functions/core/errors';

describe('describeError', () => {
  it('puts an error and its causes on one line, names first, without a stack', () => {
    const socket = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const sdk = Object.assign(new Error('Rate exceeded', { cause: socket }), { name: 'ThrottlingException' });
    const error = new TransientError('ledger write failed', { cause: sdk });

    expect(describeError(error)).toBe(
      'TransientError: ledger write failed <- ThrottlingException: Rate exceeded <- read ECONNRESET',
    );
  });

  it('leaves out the uninformative name Error and describes what is not an Error', () => {
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError('a string')).toBe('a string');
    expect(describeError(undefined)).toBe('undefined');
    expect(describeError(new Error('wrapped', { cause: 42 }))).toBe('wrapped <- 42');
  });

  it('stops following causes after four, so a cycle cannot hang it', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;

    expect(describeError(a)).toBe('a <- b <- a <- b');
  });
});
