import { HeaderBlock, parseHeaderFields } from '../mime/header-block.js';
import { summariseHeaders } from './message-summary.js';

/** How much of a message's start is read for its headers: bounded work whatever the message. */
export const TOP_HEADERS_SCAN_BYTES = 64 * 1024;

/** What a message's own header block says, for a list: sender, subject and Message-ID. */
export interface TopHeaders {
  /** The first From address, else Sender. */
  sender: string | null;
  /** RFC 2047 decoded. */
  subject: string | null;
  /** As written, angle brackets included. */
  messageId: string | null;
}

/**
 * Sender, subject and Message-ID of a message's top-level header block, read from its first
 * 64 KiB (a field beyond it is not found). For messages that could not be processed, so nothing
 * is assumed about them: any bytes give an answer, in time linear in at most 64 KiB.
 */
export function topHeaders(message: Buffer): TopHeaders {
  const bytes = message.subarray(0, TOP_HEADERS_SCAN_BYTES);
  const block = new HeaderBlock(bytes, 0, parseHeaderFields(bytes, 0), false);
  const summary = summariseHeaders(block);
  return { sender: summary.from[0] ?? summary.sender, subject: summary.subject, messageId: summary.messageId };
}
