import { periodOf } from '../time';
import type { UsageReader } from './ports';
import { isRefusal, parseUsageRequest } from './request';
import {
  type ErrorBody,
  type FamilyMemberUsage,
  type FamilyUsage,
  familyUsage,
  memberUsage,
  type SettlementsBody,
  settlementsBody,
} from './responses';

export interface Answer {
  readonly status: 200 | 400 | 404 | 405;
  readonly body: FamilyUsage | FamilyMemberUsage | SettlementsBody | ErrorBody;
}

/**
 * One request of the usage API, answered from the ledger. Bad input is a
 * refusal with its reason; an unknown family or member is 404, a period
 * without usage is zeros. Failures of the ledger propagate (a 5xx is ours).
 */
export async function answerUsageRequest(
  input: {
    readonly method: string;
    readonly path: string;
    readonly query: Readonly<Record<string, string | undefined>>;
  },
  deps: {
    readonly reader: UsageReader;
    readonly nowMs: () => number;
    /** The settlement zone: the current period, and where a period's event times begin and end. */
    readonly timeZone: string;
  },
): Promise<Answer> {
  const nowMs = deps.nowMs();
  const request = parseUsageRequest(input, () => periodOf(nowMs, deps.timeZone), deps.timeZone);
  if (isRefusal(request)) return { status: request.status, body: { message: request.message } };
  // The page is read beside the membership check, not after it: one round trip less. Its outcome is
  // only looked at once the member is found.
  const page =
    request.kind === 'settlements'
      ? deps.reader
          .memberSettlements(
            request.familyId,
            request.customerId,
            request.period,
            request.limit,
            request.after,
          )
          .then(
            (read) => ({ read }),
            (error: unknown) => ({ error }),
          )
      : null;
  const figures = await deps.reader.familyPeriod(request.familyId, request.period);
  if (!figures.family.exists) {
    return { status: 404, body: { message: `family ${request.familyId} does not exist` } };
  }
  if (request.kind === 'family') return { status: 200, body: familyUsage(figures, request.period, nowMs) };
  const member = memberUsage(figures, request.customerId, request.period, nowMs);
  if (!member) {
    return {
      status: 404,
      body: { message: `customer ${request.customerId} is not a member of family ${request.familyId}` },
    };
  }
  if (request.kind === 'member' || !page) return { status: 200, body: member };
  const settled = await page;
  if ('error' in settled) throw settled.error;
  return { status: 200, body: settlementsBody(request, settled.read) };
}
