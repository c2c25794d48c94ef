/**
 * The warning levels and whether a family is below one: remaining/pool <
 * tenths/10, decided exactly as lua/settle-lane.lua does: pool = 10*tenth +
 * rest with both parts exact as doubles, and remaining*10 < k*pool <=>
 * (remaining - k*tenth)*10 < k*rest, exact for any pool below 2^53 (a
 * product like pool*3 would not be).
 */
export const WARNING_TENTHS = { WARNING_50: 5, WARNING_30: 3, WARNING_10: 1 } as const;
export type WarningLevel = keyof typeof WARNING_TENTHS;

export function isBelow(remaining: number, pool: number, tenths: number): boolean {
  const tenth = Math.floor(pool / 10);
  const rest = pool - tenth * 10;
  return (remaining - tenths * tenth) * 10 < tenths * rest;
}
