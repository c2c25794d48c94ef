import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../cli/output';

describe('formatBytes: the byte unit of the CLI and npm start', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [500_000, '488.3 KiB'],
    [1024 ** 2 - 1, '1.00 MiB'],
    [10 * 1024 ** 2, '10.0 MiB'],
    [10_000_000_000, '9.31 GiB'],
    [5 * 1024 ** 4, '5.00 TiB'],
    [-3 * 1024 ** 2, '-3.00 MiB'],
  ])('shows %d bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
