import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_VIEWS, connectorViewSchema, REDACTED } from './api-views.js';

const importsOf = (file: string): string[] =>
  [...readFileSync(new URL(file, import.meta.url), 'utf8').matchAll(/from '([^']+)'/g)].map((match) => match[1]!);

describe('the API views', () => {
  it('import nothing but zod and each other, so the browser console can type-check against them', () => {
    for (const file of ['./api-views.ts', './api-error.ts', './vocabulary.ts'])
      expect(
        importsOf(file).filter((source) => !['zod', './vocabulary.js', './api-error.js'].includes(source)),
      ).toEqual([]);
  });

  it('name every response body once, the error body included', () => {
    expect(Object.keys(API_VIEWS)).toContain('Error');
    expect(new Set(Object.values(API_VIEWS)).size).toBe(Object.keys(API_VIEWS).length);
  });

  it('never let a password through', () => {
    expect(connectorViewSchema.shape.password.safeParse('secret').success).toBe(false);
    expect(connectorViewSchema.shape.password.safeParse(REDACTED).success).toBe(true);
  });
});
