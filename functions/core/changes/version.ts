/**
 * The version of a policy or family value: the event timestamp, then the
 * eventId for equal timestamps, so every replica orders two changes the same
 * way. As a string it compares in that order (the timestamp is zero-padded).
 */
export type Version = string;

const MS_DIGITS = 15;

export function versionOf(timestampMs: number, eventId: string): Version {
  return `${String(Math.max(0, Math.trunc(timestampMs))).padStart(MS_DIGITS, '0')}#${eventId}`;
}

/** Whether `candidate` is newer than `stored` (an absent stored version is older than anything). */
export function isNewer(candidate: Version, stored: Version | undefined): boolean {
  return stored === undefined || candidate > stored;
}

export function timestampOfVersion(version: Version): number {
  return Number(version.slice(0, MS_DIGITS));
}
