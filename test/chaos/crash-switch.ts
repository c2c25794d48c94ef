import { AsyncLocalStorage } from 'node:async_hooks';

/** Step boundaries of the usage-events handler (and of the outbox functions) where a run can die. */
export type CrashPoint =
  | 'after-validation'
  | 'after-script'
  | 'before-hydration'
  | 'before-ledger-check'
  | 'before-transaction'
  | 'after-transaction'
  | 'before-confirm'
  | 'before-returning'
  | 'before-change-redis'
  | 'after-publish';

export class SimulatedCrash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`simulated crash ${point}`);
  }
}

class Invocation {
  dead = false;
  readonly crashed: Promise<never>;
  private kill: (error: SimulatedCrash) => void = () => {};

  constructor(public plan: { point: CrashPoint; countdown: number } | null) {
    this.crashed = new Promise<never>((_, reject) => {
      this.kill = reject;
    });
    this.crashed.catch(() => undefined);
  }

  die(point: CrashPoint) {
    this.dead = true;
    this.kill(new SimulatedCrash(point));
  }
}

const never = () => new Promise<never>(() => {});

/**
 * Models a Lambda process dying at a step boundary. Every adapter call of an
 * invocation passes through `at`; when the invocation's planned point is
 * reached it dies: the invocation rejects with SimulatedCrash and every later
 * adapter call of that invocation hangs forever, so a dead run does no more
 * I/O (requests already in flight may still land, as in a real crash).
 */
export class CrashSwitch {
  private readonly current = new AsyncLocalStorage<Invocation>();
  crashes = 0;

  run<T>(plan: { point: CrashPoint; countdown: number } | null, work: () => Promise<T>): Promise<T> {
    const invocation = new Invocation(plan);
    return Promise.race([this.current.run(invocation, work), invocation.crashed]);
  }

  async at(point: CrashPoint | null): Promise<void> {
    const invocation = this.current.getStore();
    if (!invocation) return;
    if (invocation.dead) return never();
    const plan = invocation.plan;
    if (point !== null && plan?.point === point && --plan.countdown <= 0) {
      this.crashes++;
      invocation.die(point);
      return never();
    }
  }
}

type Points<T> = Partial<Record<keyof T, { before?: CrashPoint; after?: CrashPoint }>>;

/** Puts every method of an adapter behind the switch, with crash points before or after the named ones. */
export function behindSwitch<T extends object>(
  target: T,
  crashSwitch: CrashSwitch,
  points: Points<T> = {},
): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      const point = points[property as keyof T];
      return async (...args: unknown[]) => {
        await crashSwitch.at(point?.before ?? null);
        const result = await value.apply(object, args);
        await crashSwitch.at(point?.after ?? null);
        return result;
      };
    },
  });
}
