import * as z from 'zod/mini';
import './schema-messages';

/** Schema pieces every event envelope shares. */

/**
 * Redis and DynamoDB store strings as UTF-8, where a lone surrogate becomes
 * U+FFFD: two different ids would share one key.
 */
export function wellFormed(value: string): boolean {
  return !/\p{Surrogate}/u.test(value);
}

export const positiveId = z.int().check(z.positive(), z.maximum(Number.MAX_SAFE_INTEGER));
export const WELL_FORMED = 'must be well-formed Unicode (no lone surrogates)';

export const eventIdSchema = z.string().check(
  z.minLength(1),
  z.maxLength(128),
  z.refine((id) => id.trim().length > 0, 'must not be blank'),
  z.refine(wellFormed, WELL_FORMED),
);

export function describeIssues(error: z.core.$ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
