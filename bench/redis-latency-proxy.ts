import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { DelayLine } from './delay-line';
import { type RespCommand, RespCommandReader } from './resp-commands';

/** What the handler's Redis client sent during one invocation. */
export interface RedisTraffic {
  /** TCP chunks the client sent (a large pipeline arrives as several). */
  chunks: number;
  commands: number;
  /** Commands by name (upper case). */
  byName: Record<string, number>;
  /** Negative membership entries written (SET of a non-member key, after a ledger lookup). */
  nonMemberEntries: number;
  /** Script calls (EVALSHA, or EVAL after a script-cache miss) by script file name. */
  scripts: Record<string, number>;
}

const LUA_DIR = new URL('../lua/', import.meta.url);

/** SHA1 of each script in lua/, as ioredis computes it for EVALSHA. */
function scriptShas(): Map<string, string> {
  const shas = new Map<string, string>();
  for (const file of readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'))) {
    const source = readFileSync(new URL(file, LUA_DIR), 'utf8');
    shas.set(createHash('sha1').update(source).digest('hex'), file.replace(/\.lua$/, ''));
  }
  return shas;
}

const emptyTraffic = (): RedisTraffic => ({
  chunks: 0,
  commands: 0,
  byName: {},
  nonMemberEntries: 0,
  scripts: {},
});

/** The key shape of a negative membership entry (functions/adapters/redis/keys.ts). */
const NON_MEMBER_KEY = /\}:nonmember:/;

/**
 * A TCP proxy in front of redis-server that delays everything the client
 * sends by a fixed latency (replies pass straight through, so a round trip
 * costs the latency once) and counts the client's commands and script calls.
 */
export class RedisLatencyProxy {
  private traffic = emptyTraffic();
  private readonly sockets = new Set<Socket>();
  private readonly shas = scriptShas();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly line: DelayLine,
  ) {}

  static async start(target: string, latencyMs: number): Promise<RedisLatencyProxy> {
    const { hostname, port } = new URL(target);
    const line = new DelayLine(latencyMs);
    let proxy: RedisLatencyProxy | undefined;
    const server = createServer((client) => proxy?.pipe(client, hostname, Number(port)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const listening = typeof address === 'object' && address ? address.port : 0;
    proxy = new RedisLatencyProxy(server, `redis://127.0.0.1:${listening}`, line);
    return proxy;
  }

  /** The traffic since the last call, and a fresh count. */
  take(): RedisTraffic {
    const taken = this.traffic;
    this.traffic = emptyTraffic();
    return taken;
  }

  realisedMeanMs(): number {
    return this.line.realisedMeanMs();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: Socket, host: string, port: number): void {
    const upstream = connect({ host, port });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const reader = new RespCommandReader();
    client.on('data', (chunk: Buffer) => {
      this.traffic.chunks++;
      reader.feed(chunk, (command) => this.count(command));
      this.line.push(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!client.destroyed) client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }

  private count({ name, first }: RespCommand): void {
    this.traffic.commands++;
    this.traffic.byName[name] = (this.traffic.byName[name] ?? 0) + 1;
    if (name === 'SET' && first && NON_MEMBER_KEY.test(first.toString('utf8')))
      this.traffic.nonMemberEntries++;
    let sha: string | undefined;
    if (name === 'EVALSHA' && first) sha = first.toString('latin1').toLowerCase();
    else if (name === 'EVAL' && first) sha = createHash('sha1').update(first).digest('hex');
    if (sha === undefined) return;
    const script = this.shas.get(sha) ?? 'unknown-script';
    this.traffic.scripts[script] = (this.traffic.scripts[script] ?? 0) + 1;
  }
}
