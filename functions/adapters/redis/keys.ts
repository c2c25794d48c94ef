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
    decision: (familyId: number, eventId: string) => `${family(familyId)}:evt:${eventId}`,
    period: (familyId: number, period: string) => `${family(familyId)}:period:${period}`,
    policy: (familyId: number, customerId: number) => `${family(familyId)}:policy:${customerId}`,
    members: (familyId: number) => `${family(familyId)}:members`,
    nonMember: (familyId: number, customerId: number) => `${family(familyId)}:nonmember:${customerId}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
