/**
 * Every Redis key of the product. All keys of one family share the hash tag
 * {f:<familyId>}, so a script that touches several of them works unchanged on
 * Redis Cluster and ElastiCache Serverless.
 */
export function redisKeys(prefix: string) {
  if (/[{}]/.test(prefix)) throw new Error(`Redis key prefix must not contain braces: ${prefix}`);
  const family = (familyId: number) => `${prefix}{f:${familyId}}`;
  return {
    hashTag: (familyId: number) => `{f:${familyId}}`,
    /** The family's state for one period: counters, alerts, members, policies, pending decisions. */
    period: (familyId: number, period: string) => `${family(familyId)}:period:${period}`,
    /** An event the ledger committed, for the dedup window: its payload hash. */
    settled: (familyId: number, eventId: string) => `${family(familyId)}:settled:${eventId}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
