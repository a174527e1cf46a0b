import { z } from 'zod';
import { OptionsError } from '../errors.js';
import type { SourceRef } from '../types.js';

/**
 * Validates factory options against a zod schema and throws an
 * {@link OptionsError} naming the factory, the option and what was expected.
 * Called by every factory before any I/O.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  factory: string,
): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const detail = result.error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? `\`${issue.path.join('.')}\`` : 'options';
      return `${path}: ${issue.message}`;
    })
    .join('; ');
  throw new OptionsError(`${factory}: invalid options — ${detail}`, { cause: result.error });
}

function isSourceRef(value: unknown): value is SourceRef {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && v.id.length > 0 && typeof v.key === 'string';
}

/** A {@link SourceRef}: an object with a non-empty `id` and a `key`. */
export const sourceRefSchema = z.custom<SourceRef>(isSourceRef, {
  message: 'Expected a SourceRef `{ id: string, key: string, bucket?, etag? }`',
});

/** A callback; zod 4 no longer treats functions as schemas, so check the type only. */
export function functionSchema<F extends (...args: never[]) => unknown>(what: string) {
  return z.custom<F>((v) => typeof v === 'function', {
    message: `Expected ${what} to be a function`,
  });
}
