import { appendFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readArchivePartition } from '../../cli/archive-folder-source';
import { type ArchiveLine, archivePartition, partitionPath } from '../../functions/core/archive/archive';

/**
 * The settlement archive on a local disk, in the layout the delivery stream
 * gives S3 under its prefix: `period=<yyyyMM>/bucket=<n>/` holding files of
 * one JSON line per fate (uncompressed here; gzip in S3).
 */
export function appendArchiveLines(root: string, file: string, lines: ReadonlyArray<ArchiveLine>): void {
  const byPath = new Map<string, string[]>();
  for (const line of lines) {
    const path = partitionPath(archivePartition(line));
    const held = byPath.get(path) ?? [];
    held.push(JSON.stringify(line));
    byPath.set(path, held);
  }
  for (const [path, json] of byPath) {
    mkdirSync(join(root, path), { recursive: true });
    appendFileSync(join(root, path, file), `${json.join('\n')}\n`);
  }
}

/** Distinct eventIds in the whole archive (it is at least once: a fate may be there twice). */
export function archivedFates(root: string): number {
  if (!existsSync(root)) return 0;
  const ids = new Set<string>();
  for (const periodDir of readdirSync(root).filter((d) => d.startsWith('period='))) {
    for (const bucketDir of readdirSync(join(root, periodDir)).filter((d) => d.startsWith('bucket='))) {
      const partition = {
        period: periodDir.slice('period='.length),
        bucket: Number(bucketDir.slice('bucket='.length)),
      };
      for (const line of readArchivePartition(root, partition)) ids.add(line.eventId);
    }
  }
  return ids.size;
}
