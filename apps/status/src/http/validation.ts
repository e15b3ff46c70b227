import type { z } from 'zod';
import { JournalwireError } from '#errors';

/** One bad field of a request, as the 400 response names it. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** Turns zod issues into one entry per bad field (each unknown key is its own entry). */
export function fieldProblems(error: z.ZodError): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: base ? `${base}.${key}` : key, message: 'unknown field' });
    } else {
      problems.push({ field: base || '(body)', message: issue.message });
    }
  }
  return problems;
}

/** Validates input against a zod schema; a failure is a `validation` error naming each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = fieldProblems(result.error);
  throw new JournalwireError(
    'validation',
    `Invalid ${what}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
    { details: { fields } },
  );
}
