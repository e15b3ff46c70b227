import { type HeaderBlock } from './mime/header-block.js';
import { type JournalMarker } from './types.js';

/**
 * The journal-report marker of a header block (docs §6.1), or null. Only the top-level block
 * decides whether a message is a report; other blocks are checked for nested reports.
 */
export function detectJournalMarker(block: HeaderBlock): JournalMarker | null {
  let identifier = false;
  for (const field of block.fields) {
    switch (field.lowerName) {
      case 'x-ms-journal-report':
        return 'X-MS-Journal-Report';
      case 'x-ms-exchange-organization-journal-report':
        return 'X-MS-Exchange-Organization-Journal-Report';
      case 'content-identifier':
      case 'content-identifer': // sic: Exchange 2003 spells it both ways
        if (block.valueBytes(field).toString('latin1').toLowerCase() === 'exjournalreport') identifier = true;
        break;
    }
  }
  return identifier ? 'Content-Identifier' : null;
}
