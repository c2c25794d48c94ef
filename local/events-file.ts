import { UsageError } from '../cli/errors';
import { readInputFile } from '../cli/input-file';
import { topicOfEventType, USAGE_EVENTS_TOPIC } from './kafka/topics';

/** The non-blank lines of a JSONL file; each is produced as one Kafka record, valid or not. */
export function readEventLines(file: string): string[] {
  const lines = readInputFile('--events-file', file)
    .split('\n')
    .filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new UsageError(`--events-file ${file} holds no events (no non-blank line)`);
  return lines;
}

interface Named {
  /** Families the usage events are for. */
  readonly used: Set<number>;
  /** Families the file's FAMILY_UPSERTED events create. */
  readonly created: Set<number>;
}

function familiesNamed(lines: ReadonlyArray<string>): Named {
  const named: Named = { used: new Set(), created: new Set() };
  for (const line of lines) {
    let event: { eventType?: unknown; payload?: { familyId?: unknown } };
    try {
      event = JSON.parse(line) ?? {};
    } catch {
      continue;
    }
    const familyId = event.payload?.familyId;
    if (typeof familyId !== 'number') continue;
    if (event.eventType === 'FAMILY_UPSERTED') named.created.add(familyId);
    else if (topicOfEventType(event.eventType) === USAGE_EVENTS_TOPIC) named.used.add(familyId);
  }
  return named;
}

/**
 * Without --families-file a run has only its demo families and those the file
 * creates. When none of the families the usage events name is among them,
 * every event would be rejected as not a member: a run worth nothing, refused
 * before any service starts.
 */
export function checkFamiliesExist(
  file: string,
  lines: ReadonlyArray<string>,
  demo: { readonly first: number; readonly count: number },
): void {
  const { used, created } = familiesNamed(lines);
  const exists = (id: number) => created.has(id) || (id >= demo.first && id < demo.first + demo.count);
  if (used.size === 0 || [...used].some(exists)) return;
  const ids = [...used].sort((a, b) => a - b);
  const shown = ids.length > 5 ? `${ids.slice(0, 5).join(', ')}, ...` : ids.join(', ');
  throw new UsageError(
    `--events-file ${file}: no family its usage events name exists (${shown}); without --families-file ` +
      `only the demo families ${demo.first}-${demo.first + demo.count - 1} exist: give yours with --families-file`,
  );
}
