/** Where a profile node runs; lines and columns are 0-based. */
export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

/** The parts of a V8 CPU profile (Profiler.Profile, a .cpuprofile file) that self time needs. */
export interface Profile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: CallFrame }>;
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: ReadonlyArray<number> | undefined;
  readonly timeDeltas?: ReadonlyArray<number> | undefined;
}

export interface SelfTime {
  readonly functionName: string;
  /** file:line as `locate` gave it; empty for V8's own entries such as (garbage collector). */
  readonly location: string;
  readonly ms: number;
  /** Of the time the thread was not idle. */
  readonly share: number;
}

const IDLE = '(idle)';

/** Microseconds each node was on top of the stack. */
function selfMicros(profile: Profile): Map<number, number> {
  const micros = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the gap before sample i; a sample lasts until the next one, the last until endTime.
  const last = deltas.reduce((at, delta) => at + delta, profile.startTime);
  samples.forEach((id, i) => {
    const lasts = i + 1 < samples.length ? (deltas[i + 1] ?? 0) : Math.max(profile.endTime - last, 0);
    micros.set(id, (micros.get(id) ?? 0) + lasts);
  });
  return micros;
}

/** A script's path without the file URL scheme, relative to `root` or else from its node_modules. */
export function shortPath(url: string, root: string): string {
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const prefix = root.endsWith('/') ? root : `${root}/`;
  if (path.startsWith(prefix)) return path.slice(prefix.length);
  const modules = path.indexOf('/node_modules/');
  return modules >= 0 ? path.slice(modules + 1) : path;
}

/** A frame's place as file:line, shown and merged on; empty for frames without a script. */
export type Locate = (frame: CallFrame) => string;

/** The line in the code V8 ran, 1-based. */
export const generatedLocation =
  (root: string): Locate =>
  ({ url, lineNumber }) =>
    url === '' ? '' : `${shortPath(url, root)}:${lineNumber + 1}`;

/**
 * The `top` functions by self time, one entry per function however many
 * call paths reach it (nodes are merged by name and `locate`'s file:line); idle time
 * is left out of the ranking and of the shares.
 */
export function topSelfTime(profile: Profile, top: number, locate: Locate): SelfTime[] {
  const micros = selfMicros(profile);
  const byFunction = new Map<string, { functionName: string; location: string; micros: number }>();
  let busy = 0;
  for (const node of profile.nodes) {
    const { functionName } = node.callFrame;
    const spent = micros.get(node.id) ?? 0;
    if (functionName === IDLE || spent === 0) continue;
    busy += spent;
    const location = locate(node.callFrame);
    const key = `${functionName}\u0000${location}`;
    const entry = byFunction.get(key) ?? { functionName: functionName || '(anonymous)', location, micros: 0 };
    entry.micros += spent;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, top)
    .map((e) => ({
      functionName: e.functionName,
      location: e.location,
      ms: e.micros / 1000,
      share: busy > 0 ? e.micros / busy : 0,
    }));
}

/** One line per function: self ms, share of busy time, name and where it is. */
export function formatSelfTime(rows: ReadonlyArray<SelfTime>): string[] {
  return [
    '  self ms  busy %  function',
    ...rows.map(
      (r) =>
        `${r.ms.toFixed(0).padStart(9)} ${(r.share * 100).toFixed(1).padStart(7)}  ${r.functionName}` +
        (r.location ? `  ${r.location}` : ''),
    ),
  ];
}
