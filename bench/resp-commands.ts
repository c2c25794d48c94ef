const CRLF = Buffer.from('\r\n');

export interface RespCommand {
  /** Upper-cased command name. */
  readonly name: string;
  /** The first argument's bytes (the SHA1 of EVALSHA, the script of EVAL), if any. */
  readonly first: Buffer | undefined;
}

/**
 * Reads the commands a client sends (RESP arrays of bulk strings, which is
 * all ioredis writes) from a byte stream cut into arbitrary chunks.
 */
export class RespCommandReader {
  private pending: Buffer = Buffer.alloc(0);

  feed(chunk: Buffer, onCommand: (command: RespCommand) => void): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    for (;;) {
      const parsed = parseCommand(this.pending, offset);
      if (!parsed) break;
      onCommand(parsed.command);
      offset = parsed.next;
    }
    this.pending = this.pending.subarray(offset);
  }
}

function readLine(buffer: Buffer, from: number): { text: string; next: number } | null {
  const end = buffer.indexOf(CRLF, from);
  if (end === -1) return null;
  return { text: buffer.toString('latin1', from, end), next: end + 2 };
}

function parseCommand(buffer: Buffer, offset: number): { command: RespCommand; next: number } | null {
  if (offset >= buffer.length) return null;
  if (buffer[offset] !== 0x2a /* '*' */) {
    // An inline command: one line.
    const line = readLine(buffer, offset);
    if (!line) return null;
    return {
      command: { name: line.text.split(' ')[0]?.toUpperCase() ?? '', first: undefined },
      next: line.next,
    };
  }
  const header = readLine(buffer, offset + 1);
  if (!header) return null;
  const count = Number(header.text);
  let at = header.next;
  let name = '';
  let first: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    if (at >= buffer.length) return null;
    const length = readLine(buffer, at + 1);
    if (!length) return null;
    const size = Number(length.text);
    const end = length.next + size;
    if (end + 2 > buffer.length) return null;
    if (i === 0) name = buffer.toString('latin1', length.next, end).toUpperCase();
    if (i === 1) first = buffer.subarray(length.next, end);
    at = end + 2;
  }
  return { command: { name, first }, next: at };
}
