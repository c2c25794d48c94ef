import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { USAGE_UPDATED, type UsageSnapshot } from '../../functions/core/snapshots/usage-snapshot';
import type { LocalService } from './dynamodb-local';

export interface SinkEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
}

/** The usage snapshots one family received: how many, and the newest by version. */
export interface FamilySnapshots {
  readonly count: number;
  readonly last: UsageSnapshot;
}

export interface EventSink extends LocalService {
  /** Notifications accepted (usage snapshots are counted apart). */
  published(): number;
  byType(): Record<string, number>;
  snapshotsPublished(): number;
  snapshotsOf(familyId: number): FamilySnapshots | null;
}

/**
 * A local stand-in for an EventBridge bus: it answers PutEvents (AWS JSON 1.1)
 * and appends every accepted entry to a JSONL file, notifications to one and
 * the usage snapshots to another, so a local run can be read afterwards.
 */
export async function startEventSink(files: {
  readonly notifications: string;
  readonly snapshots: string;
}): Promise<EventSink> {
  let published = 0;
  let snapshots = 0;
  const byType: Record<string, number> = {};
  const byFamily = new Map<number, FamilySnapshots>();
  const keep = (entry: SinkEntry, detail: unknown) => {
    if (entry.DetailType === USAGE_UPDATED) {
      appendFileSync(files.snapshots, `${JSON.stringify({ ...entry, Detail: detail })}\n`);
      snapshots++;
      const s = detail as UsageSnapshot;
      const held = byFamily.get(s.familyId);
      byFamily.set(s.familyId, {
        count: (held?.count ?? 0) + 1,
        last: held && held.last.version > s.version ? held.last : s,
      });
      return;
    }
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
        return { EventId: `local-${published + snapshots}-${i}` };
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
    snapshotsPublished: () => snapshots,
    snapshotsOf: (familyId) => byFamily.get(familyId) ?? null,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
