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
 * address or alias, else unknown-internal if any is in an internal domain, else external.
 */
export function classify(parsed: ParsedMessage, directory: DirectoryIndex): ClassificationResult {
  const internalMailboxes = new Set<string>();
  const unknownInternal = new Set<string>();
  const participants = parsed.participants.map((participant): ClassifiedParticipant => {
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
  };
}
