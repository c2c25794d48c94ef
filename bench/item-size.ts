import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Item size as DynamoDB counts it for capacity: the UTF-8 length of every
 * attribute name plus the size of its value.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export function itemSize(item: Readonly<Record<string, AttributeValue>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + valueSize(value);
  return size;
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Numbers: one byte per two significant digits, plus one (plus one more when negative). */
export function numberSize(text: string): number {
  const negative = text.trim().startsWith('-');
  const mantissa = (text.trim().replace(/^[-+]/, '').split(/[eE]/)[0] ?? '').replace('.', '');
  const digits = mantissa.replace(/^0+/, '').replace(/0+$/, '').length;
  return Math.ceil(Math.max(digits, 1) / 2) + 1 + (negative ? 1 : 0);
}

const binarySize = (value: Uint8Array | string) =>
  typeof value === 'string' ? Buffer.from(value, 'base64').length : value.byteLength;

/** Lists and maps: 3 bytes, plus each element and 1 byte per element (and map keys). */
export function valueSize(value: AttributeValue): number {
  const v = value as unknown as Record<string, unknown>;
  if (v.S !== undefined) return utf8(v.S as string);
  if (v.N !== undefined) return numberSize(v.N as string);
  if (v.B !== undefined) return binarySize(v.B as Uint8Array);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS !== undefined) return (v.SS as string[]).reduce((n, s) => n + utf8(s), 0);
  if (v.NS !== undefined) return (v.NS as string[]).reduce((n, s) => n + numberSize(s), 0);
  if (v.BS !== undefined) return (v.BS as Uint8Array[]).reduce((n, b) => n + binarySize(b), 0);
  if (v.L !== undefined) return 3 + (v.L as AttributeValue[]).reduce((n, e) => n + valueSize(e) + 1, 0);
  if (v.M !== undefined) {
    return (
      3 +
      Object.entries(v.M as Record<string, AttributeValue>).reduce(
        (n, [k, e]) => n + utf8(k) + valueSize(e) + 1,
        0,
      )
    );
  }
  return 0;
}

/** Write units of one item: ceil(size / 1 KB), at least 1. */
export const writeUnits = (sizeBytes: number): number => Math.max(1, Math.ceil(sizeBytes / 1024));
