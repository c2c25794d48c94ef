import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { LocalService } from './dynamodb-local';

export interface SinkEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
}

export interface EventSink extends LocalService {
  /** Notifications accepted. */
  published(): number;
  byType(): Record<string, number>;
}

/**
 * A local stand-in for an EventBridge bus: it answers PutEvents (AWS JSON 1.1)
 * and appends every accepted notification to a JSONL file, so a local run can
 * be read afterwards.
 */
export async function startEventSink(files: { readonly notifications: string }): Promise<EventSink> {
  let published = 0;
  const byType: Record<string, number> = {};
  const keep = (entry: SinkEntry, detail: unknown) => {
    appendFileSync(files.notifications, `${JSON.stringify({ ...entry, Detail: detail })}\n`);
    published++;
    const type = entry.DetailType ?? '(none)';
    byType[type] = (byType[type] ?? 0) + 1;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target !== 'AWSEvents.PutEvents') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
        return;
      }
      const { Entries = [] } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        Entries?: SinkEntry[];
      };
      const results = Entries.map((entry, i) => {
        keep(entry, JSON.parse(entry.Detail ?? 'null'));
        return { EventId: `local-${published}-${i}` };
      });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ FailedEntryCount: 0, Entries: results }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: process.pid,
    published: () => published,
    byType: () => ({ ...byType }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
