import { assembleParsedMessage, unparseableMessage } from './assemble.js';
import { resolveLimits, type ParseLimits } from './limits.js';
import { JournalScanner } from './scan/journal-scanner.js';
import { type JournalType, type ParsedMessage } from './types.js';

export interface ParseOptions {
  /** The connector's journal type: `envelope` reads reports (stepping down to plain), `eml` never does. */
  journalType: JournalType;
  limits?: Partial<ParseLimits>;
}

/**
 * Parses a raw message as a journal report (docs §3-§7). Never throws: damage shows as defects.
 * Reads header blocks and the envelope only; originals are located, not decoded or copied.
 */
export function parseJournalMessage(raw: Buffer, options: ParseOptions): ParsedMessage {
  const limits = resolveLimits(options.limits);
  try {
    const scanner = new JournalScanner({ journalType: options.journalType, limits, hashContent: false });
    scanner.write(raw, 0);
    scanner.end(raw.length);
    return assembleParsedMessage(scanner.facts, options.journalType, limits);
  } catch {
    return unparseableMessage(options.journalType);
  }
}
