import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/**
 * The building blocks of every request and response schema (api/schemas.ts, import-schemas.ts,
 * webhook-schemas.ts): each `reason` reads after its field name, "must be …".
 */
extendZodWithOpenApi(z);

export const text = (what: string) => z.string({ invalid_type_error: `must be ${what}`, required_error: 'is required' });

/** A query-string value: repeated parameters arrive as arrays, which no parameter accepts. */
export const queryText = () => z.string({ invalid_type_error: 'must appear once in the query string' });

export const queryInt = (min: number, max: number) =>
  queryText()
    .regex(/^\d{1,16}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .openapi({ type: 'integer', minimum: min, maximum: max });

/** A query-string value out of a fixed list. */
export const queryOneOf = <T extends [string, ...string[]]>(values: T) =>
  z.enum(values, {
    errorMap: (issue) => (issue.code === 'invalid_type' && issue.received !== 'undefined' ? { message: 'must appear once in the query string' } : { message: `must be one of: ${values.join(', ')}` }),
  });

export const isoTimestamp = z.string().datetime().openapi({ example: '2026-11-22T10:00:00.000Z' });
export const nullableTimestamp = isoTimestamp.nullable();

/** A path parameter that is a row id: digits only, as a safe integer. */
export const idParam = () =>
  z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number')
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n), 'is too large')
    .openapi({ type: 'integer', minimum: 1, example: 1 as unknown as string });
