import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ArchiveLine, type ArchivePartition, partitionPath } from '../functions/core/archive/archive';
import {
  type ArchivedSettlement,
  asArchivedSettlement,
  bucketOf,
  type SettlementArchive,
  type SettlementQuery,
} from './archived-settlements';

/** The archive folder a local run writes (`.local/<run>/archive`): one partition read, as Athena would. */
export class FolderSettlementArchive implements SettlementArchive {
  constructor(private readonly root: string) {}

  async settlements(query: SettlementQuery): Promise<ArchivedSettlement[]> {
    return readArchivePartition(this.root, { period: query.period, bucket: bucketOf(query) })
      .filter((l) => l.familyId === query.familyId)
      .filter((l) => query.customerId === undefined || l.customerId === query.customerId)
      .flatMap((l) => asArchivedSettlement(l) ?? []);
  }
}

/** Every line of one partition, in file order; none when the partition does not exist. */
export function readArchivePartition(root: string, partition: ArchivePartition): ArchiveLine[] {
  const dir = join(root, partitionPath(partition));
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((file) =>
      readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as ArchiveLine),
    );
}
