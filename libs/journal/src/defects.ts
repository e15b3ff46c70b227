/** Journal-level problems that still allow a clean `journal` result (docs §6). */
export const SOFT_DEFECTS = [
  'folded-line',
  'duplicate-field',
  'unknown-field',
  'unknown-qualifier',
  'charset-fallback',
  'unknown-cte',
  'extra-originals',
  'nested-journal',
] as const;

/** Problems that make a marked report `journal-defective`. */
export const HARD_DEFECTS = [
  'no-envelope',
  'missing-sender',
  'missing-message-id',
  'no-recipients',
  'no-original',
  'original-unparseable',
  'limit-exceeded',
] as const;

/** Input that cannot be read as a message at all (no header field). */
export const UNPARSEABLE = 'unparseable' as const;

export type SoftDefect = (typeof SOFT_DEFECTS)[number];
export type HardDefect = (typeof HARD_DEFECTS)[number];
export type Defect = SoftDefect | HardDefect | typeof UNPARSEABLE;

const ORDER: readonly Defect[] = [UNPARSEABLE, ...HARD_DEFECTS, ...SOFT_DEFECTS];
const HARD = new Set<Defect>(HARD_DEFECTS);

export function isHardDefect(defect: Defect): boolean {
  return HARD.has(defect);
}

/** Defects in one stable order, so equal inputs give equal records. */
export function sortDefects(defects: Iterable<Defect>): Defect[] {
  const present = new Set(defects);
  return ORDER.filter((defect) => present.has(defect));
}
