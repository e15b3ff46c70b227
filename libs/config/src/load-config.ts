import { type z } from 'zod';
import { JournalwireError } from '#errors';

export type Env = Record<string, string | undefined>;

/**
 * The one config loader: validates environment variables against a zod object whose keys are
 * the variable names. A bad or missing variable fails with its name and what is expected.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const result = schema.safeParse(picked);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    return `${name}: ${describeIssue(issue)}`;
  });
  throw new JournalwireError('config-invalid', `Invalid configuration: ${problems.join('; ')}`, {
    details: { problems },
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return `is required (${issue.message})`;
  return issue.message;
}
