import { domainOf, type DirectoryIndex } from './directory.js';
import { type ParsedMessage, type ParticipantRole } from './types.js';

export type Classification = 'internal' | 'unknown-internal' | 'external';

export interface ClassifiedParticipant {
  address: string;
  role: ParticipantRole;
  class: Classification;
}

export interface ClassificationResult {
  classification: Classification;
  /** Primary addresses of the internal participants, in order of appearance. */
  internalMailboxes: string[];
  unknownInternalAddresses: string[];
  participants: ClassifiedParticipant[];
  /** The journal mailbox itself was among the participants (and was left out of the classification). */
  journalMailboxAddressed: boolean;
}

export interface ClassifyOptions {
  /**
   * The connector's service email address: the journal mailbox's own address (or any alias of it
   * in the directory) is never a participant. Mail sent to the journal mailbox, a misdirected
   * journal copy or a bounce would otherwise make a message internal (or unknown-internal) only
   * because it reached the mailbox the archive is read from.
   */
  journalMailbox?: string | null;
}

/** Whether an address is the journal mailbox: the same address, or an alias of the same directory entry. */
function journalMailboxMatcher(journalMailbox: string | null | undefined, directory: DirectoryIndex) {
  const own = journalMailbox?.trim().toLowerCase();
  if (!own) return (): boolean => false;
  const primary = directory.primaryAddress(own);
  return (address: string): boolean =>
    address.toLowerCase() === own || (primary !== null && directory.primaryAddress(address) === primary);
}

export function classifyAddress(
  address: string,
  directory: DirectoryIndex,
): { class: Classification; primary: string | null } {
  const primary = directory.primaryAddress(address);
  if (primary !== null) return { class: 'internal', primary };
  const domain = domainOf(address);
  return {
    class: domain !== null && directory.isInternalDomain(domain) ? 'unknown-internal' : 'external',
    primary: null,
  };
}

/**
 * Classifies a message by its participants (docs §7): internal if any participant is a known
 * address or alias, else unknown-internal if any is in an internal domain, else external. The
 * journal mailbox (`options.journalMailbox`) is not a participant.
 */
export function classify(
  parsed: ParsedMessage,
  directory: DirectoryIndex,
  options: ClassifyOptions = {},
): ClassificationResult {
  const internalMailboxes = new Set<string>();
  const unknownInternal = new Set<string>();
  const isJournalMailbox = journalMailboxMatcher(options.journalMailbox, directory);
  const counted = parsed.participants.filter((participant) => !isJournalMailbox(participant.address));
  const participants = counted.map((participant): ClassifiedParticipant => {
    const result = classifyAddress(participant.address, directory);
    if (result.primary !== null) internalMailboxes.add(result.primary);
    else if (result.class === 'unknown-internal') unknownInternal.add(participant.address);
    return { address: participant.address, role: participant.role, class: result.class };
  });
  const classification: Classification =
    internalMailboxes.size > 0 ? 'internal' : unknownInternal.size > 0 ? 'unknown-internal' : 'external';
  return {
    classification,
    internalMailboxes: [...internalMailboxes],
    unknownInternalAddresses: [...unknownInternal],
    participants,
    journalMailboxAddressed: counted.length !== parsed.participants.length,
  };
}
