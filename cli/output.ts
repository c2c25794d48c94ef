import { localParts } from '../functions/core/time';

/** Where a command writes: stdout for results, stderr for diagnostics. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The configuration source: the same variables the functions read. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function printJson(io: CliIo, data: unknown): void {
  io.stdout(`${JSON.stringify(data, null, 2)}\n`);
}

export function printLines(io: CliIo, ...lines: string[]): void {
  io.stdout(`${lines.join('\n')}\n`);
}

/** Left-aligned columns separated by two spaces; numbers right-aligned. */
export function table(headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+( \w+)?$/.test(r[i] ?? '')),
  );
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * The one byte unit shown to people, by the CLI and by `npm start`: binary,
 * with the IEC name that says so (1 GiB = 2^30 bytes).
 */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  const digits = () => (value < 10 ? 2 : 1);
  // 1023.99 KiB would show as "1024 KiB": a value that rounds up to 1024 moves to the next unit.
  while (unit < UNITS.length - 1 && Number(value.toFixed(unit === 0 ? 0 : digits())) >= 1024) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${sign}${value} B` : `${sign}${value.toFixed(digits())} ${UNITS[unit]}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** yyyy-MM-dd HH:mm:ss in the settlement zone. */
export function formatTime(epochMs: number | null | undefined, timeZone: string): string {
  if (epochMs === null || epochMs === undefined || !Number.isFinite(epochMs)) return '-';
  const p = localParts(epochMs, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

export const orDash = (value: string | number | null | undefined): string =>
  value === null || value === undefined || value === '' ? '-' : String(value);

export const list = (values: ReadonlyArray<string>): string => (values.length > 0 ? values.join(',') : '-');

/** "1 family", "2 families". */
export const plural = (count: number, one: string, many = `${one}s`): string =>
  `${count} ${count === 1 ? one : many}`;
