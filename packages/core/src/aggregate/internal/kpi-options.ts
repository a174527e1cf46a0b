import { z } from 'zod';
import { OptionsError } from '../../errors.js';

/**
 * Parses factory options with a zod schema, turning failure into an
 * {@link OptionsError} that names the factory and the offending fields.
 */
export function parseKpiOptions<S extends z.ZodType>(
  factory: string,
  schema: S,
  input: unknown,
): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    throw new OptionsError(`Invalid options for \`${factory}\`: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}
