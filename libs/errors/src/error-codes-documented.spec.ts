import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './journalwire-error.js';

/** §7 of the administrator's guide: every status and error an operator can see, with its fix. */
function adminGuideSection7(): string {
  const guide = readFileSync(new URL('../../../docs/admin-guide.md', import.meta.url), 'utf8');
  const start = guide.indexOf('## 7. ');
  const end = guide.indexOf('## 8. ', start);
  expect(start).toBeGreaterThan(0);
  return guide.slice(start, end);
}

describe('docs/admin-guide.md §7', () => {
  it('gives every error code a table row (its meaning and its fix)', () => {
    const rows = adminGuideSection7()
      .split('\n')
      .filter((line) => /^\s*\|/.test(line))
      .map((line) => line.split('|')[1] ?? '');
    const undocumented = ERROR_CODES.filter((code) => !rows.some((cell) => cell.includes(`\`${code}\``)));
    expect(undocumented).toEqual([]);
  });
});
