import { CR, HTAB, LF, SP } from '../mime/bytes.js';
import { type ByteSink } from '../mime/byte-sink.js';

const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary']);

/** Incremental Content-Transfer-Encoding decoder: feed chunks, get decoded chunks. */
export interface TransferDecoder {
  write(chunk: Buffer): Buffer;
  end(): Buffer;
}

const EMPTY = Buffer.alloc(0);

const identityDecoder: TransferDecoder = { write: (chunk) => chunk, end: () => EMPTY };

/** Normalised CTE name; a missing header means 7bit. */
export function normaliseTransferEncoding(value: string | null): string {
  const name = value?.trim().toLowerCase() ?? '';
  return name === '' ? '7bit' : name;
}

export function isKnownTransferEncoding(name: string): boolean {
  return IDENTITY_ENCODINGS.has(name) || name === 'base64' || name === 'quoted-printable';
}

/** A decoder for a normalised CTE name; unknown encodings pass bytes through unchanged. */
export function createTransferDecoder(name: string): TransferDecoder {
  if (name === 'base64') return new Base64Decoder();
  if (name === 'quoted-printable') return new QuotedPrintableDecoder();
  return identityDecoder;
}

export function decodeTransferEncoding(bytes: Buffer, name: string): Buffer {
  const decoder = createTransferDecoder(name);
  const head = decoder.write(bytes);
  const tail = decoder.end();
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

/** Decodes a body on its way to another sink; stops decoding once that sink is satisfied. */
export class TransferDecoderSink implements ByteSink {
  private readonly decoder: TransferDecoder;
  private decodedOffset = 0;

  constructor(
    name: string,
    private readonly next: ByteSink,
  ) {
    this.decoder = createTransferDecoder(name);
  }

  get satisfied(): boolean {
    return this.next.satisfied === true;
  }

  write(chunk: Buffer): void {
    if (this.next.satisfied === true) return;
    this.forward(this.decoder.write(chunk));
  }

  end(): void {
    if (this.next.satisfied !== true) this.forward(this.decoder.end());
    this.next.end(this.decodedOffset);
  }

  private forward(decoded: Buffer): void {
    if (decoded.length === 0) return;
    this.next.write(decoded, this.decodedOffset);
    this.decodedOffset += decoded.length;
  }
}

const BASE64_VALUES = new Int8Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((char, value) => {
  BASE64_VALUES[char.charCodeAt(0)] = value;
});
// base64url, as some producers write it
BASE64_VALUES[0x2d] = 62;
BASE64_VALUES[0x5f] = 63;

/** Lenient base64: skips bytes outside the alphabet; `=` ends a quantum early. */
class Base64Decoder implements TransferDecoder {
  private bits = 0;
  private count = 0;

  write(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(Math.ceil((chunk.length * 3) / 4) + 2);
    let length = 0;
    let bits = this.bits;
    let count = this.count;
    for (let i = 0; i < chunk.length; i++) {
      const value = BASE64_VALUES[chunk[i] as number] as number;
      if (value >= 0) {
        bits = (bits << 6) | value;
        if (++count === 4) {
          out[length++] = bits >> 16;
          out[length++] = (bits >> 8) & 0xff;
          out[length++] = bits & 0xff;
          bits = 0;
          count = 0;
        }
      } else if (chunk[i] === 0x3d && count > 0) {
        length = flushPartialQuantum(bits, count, out, length);
        bits = 0;
        count = 0;
      }
    }
    this.bits = bits;
    this.count = count;
    return out.subarray(0, length);
  }

  end(): Buffer {
    const out = Buffer.alloc(2);
    const length = flushPartialQuantum(this.bits, this.count, out, 0);
    this.bits = 0;
    this.count = 0;
    return out.subarray(0, length);
  }
}

/** Writes the whole bytes held by 2 or 3 pending base64 characters (12 or 18 bits). */
function flushPartialQuantum(bits: number, count: number, out: Buffer, length: number): number {
  if (count === 2) {
    out[length++] = (bits >> 4) & 0xff;
  } else if (count === 3) {
    out[length++] = (bits >> 10) & 0xff;
    out[length++] = (bits >> 2) & 0xff;
  }
  return length;
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/** Quoted-printable: `=XX`, soft line breaks (`=` then optional padding then a line break). */
class QuotedPrintableDecoder implements TransferDecoder {
  private carry: Buffer = EMPTY;

  write(chunk: Buffer): Buffer {
    return this.decode(this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]), false);
  }

  end(): Buffer {
    return this.decode(this.carry, true);
  }

  private decode(data: Buffer, final: boolean): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    const n = data.length;
    let length = 0;
    let i = 0;
    this.carry = EMPTY;
    while (i < n) {
      const eq = data.indexOf(0x3d, i);
      length += data.copy(out, length, i, eq < 0 ? n : eq);
      if (eq < 0) break;
      if (!final && n - eq < 3) {
        this.carry = Buffer.from(data.subarray(eq));
        break;
      }
      const high = hexValue(data[eq + 1]);
      const low = hexValue(data[eq + 2]);
      if (high >= 0 && low >= 0) {
        out[length++] = (high << 4) | low;
        i = eq + 3;
        continue;
      }
      let pos = eq + 1;
      while (pos < n && (data[pos] === SP || data[pos] === HTAB)) pos++;
      const undecided = pos >= n || (data[pos] === CR && pos + 1 >= n);
      if (undecided && !final && pos - eq < 1024) {
        this.carry = Buffer.from(data.subarray(eq));
        break;
      }
      if (pos >= n) break; // "=" (and padding) at the very end: a soft break before nothing
      if (data[pos] === LF || data[pos] === CR) {
        i = data[pos] === CR && data[pos + 1] === LF ? pos + 2 : pos + 1;
        continue;
      }
      out[length++] = 0x3d; // an "=" that starts no escape is kept literally
      i = eq + 1;
    }
    return out.subarray(0, length);
  }
}
