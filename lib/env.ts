import { z, type ZodError } from 'zod';

/**
 * Building blocks of environment schemas (config/config.ts and each connector's settings): each
 * message reads after the variable's name, "must be a URL".
 */

/** A URL whose scheme is one of `protocols` (`['http:', 'https:']`). */
export const envUrl = (protocols: string[]) =>
  z
    .string()
    .url('must be a URL')
    .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), `must start with ${protocols.map((p) => p + '//').join(' or ')}`);

/** A ZodError over environment variables as `NAME: reason` lines, the way the start-up message lists them. */
export function envProblems(error: ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}
