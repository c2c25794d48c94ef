/**
 * The MSK event as Lambda delivers it (docs/behaviour.md, "Event contracts"): records grouped by
 * "<topic>-<partition>", base64 key and value (either may be null), headers as
 * single-key objects whose values are signed byte arrays.
 */
export interface MskRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: ReadonlyArray<Readonly<Record<string, ReadonlyArray<number>>>>;
}

export interface MskEvent {
  readonly eventSource: string;
  readonly eventSourceArn?: string;
  readonly bootstrapServers?: string;
  readonly records: Readonly<Record<string, ReadonlyArray<MskRecord>>>;
}

export interface KafkaRecord {
  /** The record exactly as delivered, kept for the dead-letter queue. */
  readonly raw: MskRecord;
  /** "<topic>-<partition>", the identifier a partial batch response names. */
  readonly partitionKey: string;
  readonly offset: number;
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

export interface PartitionBatch {
  readonly partitionKey: string;
  /** In delivery (offset) order; this order is kept for every family. */
  readonly records: ReadonlyArray<KafkaRecord>;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export type DecodedBytes = { ok: true; text: string } | { ok: false; problem: string };

/** Strict base64 then strict UTF-8; Node's own base64 decoder silently skips bad characters. */
export function decodeBase64Utf8(value: string): DecodedBytes {
  if (!BASE64.test(value)) return { ok: false, problem: 'value is not valid base64' };
  try {
    return { ok: true, text: utf8.decode(Buffer.from(value, 'base64')) };
  } catch {
    return { ok: false, problem: 'value is not valid UTF-8' };
  }
}

function decodeHeaders(headers: MskRecord['headers'] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const header of headers ?? []) {
    for (const [name, bytes] of Object.entries(header)) {
      // Java's byte is signed; -22 is 0xEA.
      const buf = Buffer.from(Array.isArray(bytes) ? bytes.map((b) => Number(b) & 0xff) : []);
      out[name] = buf.toString('utf8');
    }
  }
  return out;
}

function decodeKey(key: string | null | undefined): string | null {
  if (key === null || key === undefined) return null;
  const decoded = decodeBase64Utf8(key);
  return decoded.ok ? decoded.text : null;
}

export function decodeMskEvent(event: MskEvent): PartitionBatch[] {
  return Object.entries(event.records ?? {}).map(([partitionKey, records]) => ({
    partitionKey,
    records: records.map((raw) => ({
      raw,
      partitionKey,
      offset: raw.offset,
      key: decodeKey(raw.key),
      headers: decodeHeaders(raw.headers),
    })),
  }));
}
