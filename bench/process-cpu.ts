import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

let clockTicks: number | undefined;

/** USER_HZ, the unit of /proc's CPU times; 100 on every common Linux build if getconf is missing. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      clockTicks = Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * User + system CPU seconds of a process and all its threads, from
 * /proc/<pid>/stat; null off Linux, for no pid, or once the process is gone.
 */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined || process.platform !== 'linux') return null;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields from its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 11 and 12 after the name and state.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / ticksPerSecond() : null;
}

/** This process's user + system CPU seconds, every thread (GC, libuv pool) included. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

interface MachineCpu {
  readonly busy: number;
  readonly total: number;
}

/** Busy and total CPU seconds of the whole machine, every core, from /proc/stat; null off Linux. */
function machineCpuSeconds(): MachineCpu | null {
  if (process.platform !== 'linux') return null;
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    // user nice system idle iowait irq softirq steal; guest time is already counted in user.
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>((n, t) => n + (t ?? 0), 0);
    const total = busy + (idle ?? 0) + (iowait ?? 0);
    if (!Number.isFinite(total)) return null;
    return { busy: busy / ticksPerSecond(), total: total / ticksPerSecond() };
  } catch {
    return null;
  }
}

export interface ProcessCpu {
  readonly seconds: number | null;
  readonly msPerEvent: number | null;
  /** CPU seconds / (wall seconds x cores): the part of the machine this process kept busy. */
  readonly share: number | null;
}

/** CPU used over one run by each process that shares the machine's cores. */
export interface RunCpu {
  readonly wallSeconds: number;
  readonly cores: number;
  /**
   * The bench process: the handlers, and what the harness runs in it (the
   * simulated event source mapping, Redis latency proxy, DynamoDB meter and
   * delay line, SQS emulator).
   */
  readonly node: ProcessCpu;
  readonly dynamodbLocal: ProcessCpu;
  readonly redisServer: ProcessCpu;
  /** The three together; null when one of them could not be read. */
  readonly total: ProcessCpu;
  /** Every process on the machine (/proc/stat): above `total` when something else competed for the cores. */
  readonly machineShare: number | null;
}

interface Reading {
  readonly at: number;
  readonly node: number;
  readonly dynamodbLocal: number | null;
  readonly redisServer: number | null;
  readonly machine: MachineCpu | null;
}

/** The busy part of every core's time between two /proc/stat readings. */
function busyShare(before: MachineCpu | null, after: MachineCpu | null): number | null {
  if (before === null || after === null || after.total <= before.total) return null;
  return (after.busy - before.busy) / (after.total - before.total);
}

const diff = (after: number | null, before: number | null) =>
  after === null || before === null ? null : after - before;

/** The processes besides this one that run a W2 run; undefined when a pid is not known. */
export interface RunPids {
  readonly dynamodbLocal: number | undefined;
  readonly redisServer: number | undefined;
}

/** CPU times of the bench process, DynamoDB Local and a run's redis-server, taken at the start and end of a run. */
export class CpuMeter {
  private constructor(
    private readonly pids: RunPids,
    private readonly before: Reading,
  ) {}

  static start(pids: RunPids): CpuMeter {
    return new CpuMeter(pids, CpuMeter.read(pids));
  }

  private static read(pids: RunPids): Reading {
    return {
      at: performance.now(),
      node: ownCpuSeconds(),
      dynamodbLocal: processCpuSeconds(pids.dynamodbLocal),
      redisServer: processCpuSeconds(pids.redisServer),
      machine: machineCpuSeconds(),
    };
  }

  /** The CPU each process used since `start`, per event of the run and as a share of the machine. */
  stop(events: number): RunCpu {
    const after = CpuMeter.read(this.pids);
    const wallSeconds = (after.at - this.before.at) / 1000;
    const cores = availableParallelism();
    const of = (seconds: number | null): ProcessCpu => ({
      seconds,
      msPerEvent: seconds === null ? null : (seconds * 1000) / Math.max(events, 1),
      share: seconds === null ? null : seconds / (wallSeconds * cores),
    });
    const node = after.node - this.before.node;
    const dynamodbLocal = diff(after.dynamodbLocal, this.before.dynamodbLocal);
    const redisServer = diff(after.redisServer, this.before.redisServer);
    const total = dynamodbLocal === null || redisServer === null ? null : node + dynamodbLocal + redisServer;
    return {
      wallSeconds,
      cores,
      node: of(node),
      dynamodbLocal: of(dynamodbLocal),
      redisServer: of(redisServer),
      total: of(total),
      machineShare: busyShare(this.before.machine, after.machine),
    };
  }
}
