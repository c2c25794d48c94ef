/**
 * Kafka's default partitioner for keyed records: murmur2 of the key bytes,
 * made positive, modulo the partition count. Same key, same partition.
 */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const seed = 0x9747b28c;
  let h = (seed ^ data.length) | 0;
  const length4 = data.length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = data.length & 3;
  if (rest === 3) h ^= (data[length4 + 2] as number) << 16;
  if (rest >= 2) h ^= (data[length4 + 1] as number) << 8;
  if (rest >= 1) {
    h ^= data[length4] as number;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

export function partitionFor(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}
