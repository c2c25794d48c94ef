/** How `npm start` reports a phase's progress on stderr. */
export type Progress = (phase: string, done: number, total: number) => void;

const n = (x: number) => x.toLocaleString('en-US');

/** On a terminal: one bar, redrawn in place. */
export function progressBar(write: (text: string) => void): Progress {
  const width = 30;
  return (phase, done, total) => {
    const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
    write(`\r${phase.padEnd(26)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}   `);
  };
}

/**
 * Into a pipe or a file (CI logs, `2>run.log`), where a redrawn bar is noise:
 * a line when a phase starts, then at most one every `everyMs`.
 */
export function progressLines(write: (text: string) => void, everyMs = 5_000, now = Date.now): Progress {
  let current = '';
  let lastMs = Number.NEGATIVE_INFINITY;
  return (phase, done, total) => {
    const at = now();
    if (phase === current && at - lastMs < everyMs) return;
    current = phase;
    lastMs = at;
    write(total > 1 ? `${phase}: ${n(done)} of ${n(total)}\n` : `${phase}\n`);
  };
}
