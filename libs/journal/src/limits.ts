/** Parser limits (docs §10); exceeding one gives `limit-exceeded`, never silent truncation. */
export interface ParseLimits {
  /** Bytes of one header block (top-level, part or original). */
  maxHeaderBlockBytes: number;
  /** Bytes of the decoded envelope text. */
  maxEnvelopeBytes: number;
  maxEnvelopeLines: number;
  /** Nesting depth walked; the top-level message is depth 0. */
  maxMimeDepth: number;
  /** Top-level message/rfc822 originals examined. */
  maxOriginals: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxHeaderBlockBytes: 1024 * 1024,
  maxEnvelopeBytes: 16 * 1024 * 1024,
  maxEnvelopeLines: 200_000,
  maxMimeDepth: 32,
  maxOriginals: 4,
});

export function resolveLimits(overrides: Partial<ParseLimits> | undefined): ParseLimits {
  return { ...DEFAULT_PARSE_LIMITS, ...overrides };
}
