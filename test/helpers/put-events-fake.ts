import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for EventBridge that speaks the PutEvents wire protocol
 * (AWS JSON 1.1: POST /, X-Amz-Target: AWSEvents.PutEvents), so the real SDK
 * client and the real publisher run against it. It can be told to reject
 * given notifications per entry, to throttle whole calls, or to go down
 * (connection refused, or HTTP 503).
 */
export interface AcceptedEvent {
  readonly eventId: string;
  readonly source: string;
  readonly detailType: string;
  readonly eventBusName: string | undefined;
  readonly detail: Record<string, unknown> & { notificationId: string };
}

/** Accepted entries of one detail type, their details typed as the caller expects. */
export const detailsOf = <T>(fake: Pick<PutEventsFake, 'accepted'>, detailType: string): T[] =>
  fake.accepted.filter((e) => e.detailType === detailType).map((e) => e.detail as unknown as T);

interface WireEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
}

const JSON_11 = 'application/x-amz-json-1.1';
const MAX_ENTRIES = 10;

export interface PutEventsFake {
  readonly endpoint: string;
  /** Every entry accepted, in arrival order. */
  readonly accepted: ReadonlyArray<AcceptedEvent>;
  /** Entry count of every PutEvents call that reached the fake while it was up. */
  readonly calls: ReadonlyArray<number>;
  timesPublished(notificationId: string): number;
  /**
   * Rejects entries of these notifications with a per-entry error until
   * cleared, or only their next `times` entries.
   */
  failNotifications(ids: Iterable<string>, errorCode?: string, times?: number): void;
  /** Rejects every entry of this detail type with a per-entry error until cleared. */
  failDetailType(detailType: string, errorCode?: string): void;
  clearFailures(): void;
  /** The next `calls` PutEvents calls get HTTP 400 ThrottlingException. */
  throttle(calls?: number): void;
  goDown(mode: 'refused' | 'unavailable'): Promise<void>;
  comeBack(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPutEventsFake(): Promise<PutEventsFake> {
  const accepted: AcceptedEvent[] = [];
  const calls: number[] = [];
  const failing = new Map<string, { code: string; remaining: number }>();
  const failingTypes = new Map<string, string>();
  let throttledCalls = 0;
  let unavailable = false;
  let listening = false;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) =>
      reply(res, 500, { __type: 'InternalException', message: String(error) }),
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    if (unavailable)
      return reply(res, 503, { __type: 'ServiceUnavailableException', message: 'down for a test' });
    if (req.method !== 'POST' || req.url !== '/' || req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
      return reply(res, 400, { __type: 'UnknownOperationException', message: `${req.method} ${req.url}` });
    }
    if (!String(req.headers['content-type'] ?? '').startsWith(JSON_11)) {
      return reply(res, 400, { __type: 'SerializationException', message: 'expected AWS JSON 1.1' });
    }
    const entries = (JSON.parse(body) as { Entries?: WireEntry[] }).Entries ?? [];
    if (entries.length === 0 || entries.length > MAX_ENTRIES) {
      return reply(res, 400, {
        __type: 'ValidationException',
        message: `Entries must hold 1 to ${MAX_ENTRIES} items, got ${entries.length}`,
      });
    }
    calls.push(entries.length);
    if (throttledCalls > 0) {
      throttledCalls--;
      return reply(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
    }
    const results = entries.map((entry) => accept(entry));
    reply(res, 200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
  }

  function accept(entry: WireEntry): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    let detail: AcceptedEvent['detail'];
    try {
      detail = JSON.parse(entry.Detail ?? '');
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
    }
    if (!entry.Source || !entry.DetailType) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source and DetailType are required' };
    }
    const failure = failingTypes.get(entry.DetailType) ?? failOnce(detail.notificationId);
    if (failure) return { ErrorCode: failure, ErrorMessage: `rejected for a test: ${failure}` };
    const eventId = randomUUID();
    accepted.push({
      eventId,
      source: entry.Source,
      detailType: entry.DetailType,
      eventBusName: entry.EventBusName,
      detail,
    });
    return { EventId: eventId };
  }

  function failOnce(notificationId: string): string | undefined {
    const failure = failing.get(notificationId);
    if (!failure) return undefined;
    if (--failure.remaining <= 0) failing.delete(notificationId);
    return failure.code;
  }

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        listening = true;
        resolve((server.address() as AddressInfo).port);
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
      // Kept-alive SDK connections would otherwise still reach the "down" server.
      server.closeAllConnections();
    });

  const port = await listen(0);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    accepted,
    calls,
    timesPublished: (id) => accepted.filter((e) => e.detail.notificationId === id).length,
    failNotifications(ids, errorCode = 'InternalFailure', times = Number.POSITIVE_INFINITY) {
      for (const id of ids) failing.set(id, { code: errorCode, remaining: times });
    },
    failDetailType(detailType, errorCode = 'InternalFailure') {
      failingTypes.set(detailType, errorCode);
    },
    clearFailures: () => {
      failing.clear();
      failingTypes.clear();
    },
    throttle(n = Number.POSITIVE_INFINITY) {
      throttledCalls = n;
    },
    async goDown(mode) {
      if (mode === 'unavailable') unavailable = true;
      else await close();
    },
    async comeBack() {
      unavailable = false;
      if (!listening) await listen(port);
    },
    stop: close,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': JSON_11, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(body));
}
