/** One rule for app ids, applied to events and to every policy writer alike. */
export function normalizeAppId(appId: string | null | undefined): string | null {
  const normalized = appId?.trim().toLowerCase() ?? '';
  return normalized === '' ? null : normalized;
}
