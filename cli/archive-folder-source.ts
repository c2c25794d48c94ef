import { readArchivePartition } from '../local/archive/archive-folder';
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
