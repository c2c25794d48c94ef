import type { MemberPolicy } from '../family';
import type { Clock } from '../ports';
import type { FamilyLimits, FamilyLimitsSource, LimitsWanted } from './period-commits';

export interface LimitsCacheSettings {
  /** Families held at most; the one read (or added to) longest ago goes first. */
  readonly maxFamilies: number;
  /** A kept read is dropped after this long even if no change is seen (a backstop, not the rule). */
  readonly maxAgeMs: number;
  /** A family changed this recently is read strongly consistent, so that what is kept is never older than the change. */
  readonly recentChangeMs: number;
}

export const LIMITS_CACHE: LimitsCacheSettings = {
  maxFamilies: 50_000,
  maxAgeMs: 10 * 60_000,
  recentChangeMs: 60_000,
};

interface Entry {
  readonly readAtMs: number;
  /** Per period, the change stamp of the image the read was made against. */
  readonly changedAtMs: ReadonlyMap<string, number>;
  readonly quotaBytes: number;
  readonly familyPolicy: MemberPolicy;
  readonly memberPolicies: ReadonlyMap<number, MemberPolicy>;
}

export interface CachedFamilyLimits extends FamilyLimitsSource {
  /** Since the container started: families answered from what was kept, families read, and the items read for them. */
  counts(): { readonly cached: number; readonly read: number; readonly items: number };
}

/**
 * The snapshots' limits, kept per family between invocations of a container.
 * Every family or policy change writes each period item a settlement may
 * write with its own change stamp (configuredAt), and the stream brings that
 * image before any later one of the item. So a kept read stays right while
 * each image a snapshot is built from carries the stamp it was read against;
 * another stamp, or a period not seen at the read, means a change may have
 * moved a limit, and the family is read again.
 */
export function cachedFamilyLimits(
  source: FamilyLimitsSource,
  clock: Clock,
  settings: LimitsCacheSettings = LIMITS_CACHE,
): CachedFamilyLimits {
  const entries = new Map<number, Entry>();
  let cached = 0;
  let read = 0;
  let items = 0;

  const current = (entry: Entry | undefined, w: LimitsWanted, nowMs: number): entry is Entry =>
    entry !== undefined &&
    w.changedAtMs.size > 0 &&
    nowMs - entry.readAtMs < settings.maxAgeMs &&
    [...w.changedAtMs].every(([period, stamp]) => entry.changedAtMs.get(period) === stamp);

  const keep = (familyId: number, entry: Entry) => {
    entries.delete(familyId);
    entries.set(familyId, entry);
    if (entries.size > settings.maxFamilies) entries.delete(entries.keys().next().value as number);
  };

  return {
    counts: () => ({ cached, read, items }),
    async read(wanted) {
      const nowMs = clock.now();
      const answer = new Map<number, FamilyLimits>();
      // Each read with the entry it tops up: one still current that lacks members only.
      const misses: Array<{ readonly w: LimitsWanted; readonly topped: Entry | null }> = [];
      for (const w of wanted) {
        const entry = entries.get(w.familyId);
        const isCurrent = current(entry, w, nowMs);
        if (isCurrent && w.customerIds.every((c) => entry.memberPolicies.has(c))) {
          answer.set(w.familyId, entry);
          cached++;
          continue;
        }
        // The stamps the new entry will hold: those of this batch's images and those it held already.
        const stamps = [...w.changedAtMs.values(), ...(entry?.changedAtMs.values() ?? [])];
        const recent = stamps.some((stamp) => stamp > nowMs - settings.recentChangeMs);
        // The family is read anyway: its listed members come with it, so their next commits find them kept.
        misses.push({
          w: { ...w, customerIds: [...w.customerIds, ...w.listed], listed: [], fresh: w.fresh || recent },
          topped: isCurrent ? entry : null,
        });
      }
      if (misses.length === 0) return answer;
      const found = await source.read(misses.map((m) => m.w));
      read += misses.length;
      // The family item and a member item each.
      items += misses.reduce((n, { w }) => n + 1 + w.customerIds.length, 0);
      for (const { w, topped } of misses) {
        const limits = found.get(w.familyId);
        if (!limits) {
          entries.delete(w.familyId);
          continue;
        }
        answer.set(w.familyId, limits);
        // A top-up keeps the entry's age. Either keeps the stamps of other periods (for a top-up they
        // equal the batch's): limits read now are no older than any change they name.
        const held = entries.get(w.familyId);
        keep(w.familyId, {
          readAtMs: topped ? topped.readAtMs : nowMs,
          changedAtMs: new Map([...(held?.changedAtMs ?? []), ...w.changedAtMs]),
          quotaBytes: limits.quotaBytes,
          familyPolicy: limits.familyPolicy,
          memberPolicies: topped
            ? new Map([...topped.memberPolicies, ...limits.memberPolicies])
            : limits.memberPolicies,
        });
      }
      return answer;
    },
  };
}
