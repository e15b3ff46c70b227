type Decoder = InstanceType<typeof TextDecoder>;

const decoders = new Map<string, Decoder | null>();

/** A fatal WHATWG decoder for a label, or null if the label is unknown. Cached per label. */
function fatalDecoder(label: string): Decoder | null {
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label, { fatal: true });
    } catch {
      decoder = null;
    }
    if (decoders.size < 256) decoders.set(label, decoder);
  }
  return decoder;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const windows1252 = new TextDecoder('windows-1252');

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) >= 0x80) return false;
  return true;
}

export interface DecodedText {
  text: string;
  /** The encoding actually used (WHATWG name). */
  encoding: string;
  /** True when the declared label could not be used and UTF-8 / windows-1252 were tried. */
  fallback: boolean;
}

/**
 * Decodes text in its declared charset (WHATWG labels). A missing, unknown or US-ASCII label
 * with 8-bit bytes, or bytes invalid in the declared charset, fall back to UTF-8, then
 * windows-1252 (which accepts any byte).
 */
export function decodeText(bytes: Uint8Array, label: string | null): DecodedText {
  const normalised = label?.trim().toLowerCase() ?? '';
  const asciiLabel =
    normalised === '' || normalised === 'us-ascii' || normalised === 'ascii' || normalised === 'ansi_x3.4-1968';
  if (asciiLabel && isAscii(bytes))
    return {
      text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1'),
      encoding: 'us-ascii',
      fallback: false,
    };
  const declared = asciiLabel ? null : fatalDecoder(normalised);
  if (declared !== null) {
    try {
      return { text: declared.decode(bytes), encoding: declared.encoding, fallback: false };
    } catch {
      // invalid in the declared charset: fall through
    }
  }
  return { ...decodeUtf8OrWindows1252(bytes), fallback: true };
}

function decodeUtf8OrWindows1252(bytes: Uint8Array): { text: string; encoding: string } {
  try {
    return { text: utf8.decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: windows1252.decode(bytes), encoding: 'windows-1252' };
  }
}

/** Raw header bytes as text: ASCII as is, 8-bit as UTF-8 when valid, else windows-1252. */
export function decodeHeaderBytes(bytes: Buffer): string {
  if (isAscii(bytes)) return bytes.toString('latin1');
  return decodeUtf8OrWindows1252(bytes).text;
}

/** Decodes with a label when known (non-fatal), for RFC 2047 words; null if the label is unknown. */
export function decodeWithLabel(bytes: Uint8Array, label: string): string | null {
  const decoder = fatalDecoder(label.trim().toLowerCase());
  if (decoder === null) return null;
  try {
    return decoder.decode(bytes);
  } catch {
    return decodeUtf8OrWindows1252(bytes).text;
  }
}
