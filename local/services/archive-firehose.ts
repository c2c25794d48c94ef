import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { ArchiveLine } from '../../functions/core/archive/archive';
import { appendArchiveLines } from '../archive/archive-folder';
import type { LocalService } from './dynamodb-local';

export interface ArchiveFirehose extends LocalService {
  /** Lines written to the archive so far. */
  archived(): number;
}

/**
 * A local stand-in for the archive's delivery stream: it answers
 * PutRecordBatch (AWS JSON 1.1), splits each record into its lines as the
 * stream's record deaggregation does, and writes them to `root` partitioned
 * as the stream's dynamic partitioning does (period, then family bucket). A
 * line that is not an archive line goes under `errors/`, as Firehose's error
 * output prefix would take it.
 */
export async function startArchiveFirehose(root: string): Promise<ArchiveFirehose> {
  mkdirSync(root, { recursive: true });
  const file = `local-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;
  let archived = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target !== 'Firehose_20150804.PutRecordBatch') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'InvalidArgumentException', message: `unsupported: ${target}` }));
        return;
      }
      const { Records = [] } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        Records?: Array<{ Data?: string }>;
      };
      const lines: ArchiveLine[] = [];
      for (const record of Records) {
        for (const text of Buffer.from(record.Data ?? '', 'base64')
          .toString('utf8')
          .split('\n')) {
          if (text.trim() === '') continue;
          const line = parseLine(text);
          if (line) lines.push(line);
          else {
            mkdirSync(join(root, 'errors'), { recursive: true });
            appendFileSync(join(root, 'errors', file), `${text}\n`);
          }
        }
      }
      appendArchiveLines(root, file, lines);
      archived += lines.length;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          FailedPutCount: 0,
          Encrypted: false,
          RequestResponses: Records.map((_, i) => ({ RecordId: `local-${archived}-${i}` })),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: process.pid,
    archived: () => archived,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What the stream's partitioning query needs: a period and a numeric familyId. */
function parseLine(text: string): ArchiveLine | null {
  try {
    const line = JSON.parse(text) as Partial<ArchiveLine>;
    return typeof line.period === 'string' && Number.isSafeInteger(line.familyId)
      ? (line as ArchiveLine)
      : null;
  } catch {
    return null;
  }
}
