/**
 * A period's commit stamp: the epoch ms of the commit or change that moves
 * the period's version, but never less than the stamp before it plus one. So
 * it rises with every commit of a family's period whatever the clocks of the
 * containers that commit, and across families it follows when things
 * happened: a member who moves to another family is ordered by it there too
 * (the `version` of its live usage entries).
 */
export function nextStamp(previousMs: number, nowMs: number): number {
  return Math.max(Math.floor(nowMs), previousMs + 1);
}
