export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;

export function isWhitespaceByte(byte: number | undefined): boolean {
  return byte === SP || byte === HTAB;
}

/** Joins pieces without copying when there is only one. */
export function joinPieces(pieces: readonly Buffer[], totalLength?: number): Buffer {
  if (pieces.length === 1) return pieces[0] as Buffer;
  if (pieces.length === 0) return Buffer.alloc(0);
  return Buffer.concat(pieces as Buffer[], totalLength);
}

/**
 * `bytes.indexOf(byte, from)` for short distances such as header lines: a plain loop beats the
 * native call's fixed cost there. Use Buffer#indexOf for long scans.
 */
export function indexOfByte(bytes: Uint8Array, byte: number, from = 0, to = bytes.length): number {
  for (let i = from; i < to; i++) if (bytes[i] === byte) return i;
  return -1;
}
