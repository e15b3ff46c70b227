import { decodeWithLabel } from './charset.js';

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

interface EncodedWord {
  index: number;
  length: number;
  charset: string;
  bytes: Buffer;
}

function wordBytes(encoding: string, text: string): Buffer {
  if (encoding === 'b' || encoding === 'B') return Buffer.from(text, 'base64');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '_') bytes.push(0x20);
    else if (char === '=' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes);
}

/**
 * Decodes RFC 2047 encoded words for display. Whitespace between adjacent encoded words is
 * dropped, and adjacent words in one charset are decoded together so a multi-byte character
 * split across words survives. Words in an unknown charset are left as written.
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  const words: EncodedWord[] = [];
  for (const match of value.matchAll(ENCODED_WORD)) {
    const charset = (match[1] as string).split('*')[0] as string;
    words.push({
      index: match.index,
      length: match[0].length,
      charset,
      bytes: wordBytes(match[2] as string, match[3] as string),
    });
  }
  if (words.length === 0) return value;
  let result = '';
  let cursor = 0;
  let i = 0;
  while (i < words.length) {
    const first = words[i] as EncodedWord;
    result += value.slice(cursor, first.index);
    const run = [first.bytes];
    let last = first;
    let j = i + 1;
    for (; j < words.length; j++) {
      const next = words[j] as EncodedWord;
      const between = value.slice(last.index + last.length, next.index);
      if (!/^[ \t\r\n]*$/.test(between) || next.charset.toLowerCase() !== first.charset.toLowerCase()) break;
      run.push(next.bytes);
      last = next;
    }
    const decoded = decodeWithLabel(Buffer.concat(run), first.charset);
    result += decoded ?? value.slice(first.index, last.index + last.length);
    cursor = last.index + last.length;
    // whitespace between this run and a following encoded word in another charset goes too
    const next = words[j];
    if (next !== undefined && /^[ \t\r\n]*$/.test(value.slice(cursor, next.index))) cursor = next.index;
    i = j;
  }
  return result + value.slice(cursor);
}
