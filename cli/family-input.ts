import { type Family, familySchema } from '../functions/core/family';
import { UsageError } from './errors';
import { readInputFile } from './input-file';

/**
 * Reads a families file (`family put --file F`, `npm start -- --families-file F`):
 * one family object or an array of them, each validated with the schema the
 * ledger writes with. Every problem is reported before anything is written.
 */
export function readFamilies(file: string, option = '--file'): Family[] {
  const text = readInputFile(option, file);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const inputs = Array.isArray(raw) ? raw : [raw];
  if (inputs.length === 0) throw new UsageError(`${file} holds an empty array: nothing to put`);
  const problems: string[] = [];
  const families: Family[] = [];
  inputs.forEach((input, index) => {
    const where = Array.isArray(raw) ? `[${index}]` : '';
    const parsed = familySchema.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(`${where}${issue.path.map((p) => `.${String(p)}`).join('') || '.'}: ${issue.message}`);
      }
      return;
    }
    const ids = parsed.data.members.map((m) => m.customerId);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (repeated.length > 0) problems.push(`${where}.members: customer ${repeated[0]} is listed twice`);
    families.push(parsed.data);
  });
  const familyIds = families.map((f) => f.familyId);
  const repeatedFamily = familyIds.find((id, i) => familyIds.indexOf(id) !== i);
  if (repeatedFamily !== undefined) problems.push(`family ${repeatedFamily} is listed twice`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new UsageError(`${file} is not a valid family: ${shown}${more}`);
  }
  return families;
}
