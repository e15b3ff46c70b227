/** The first line of every POP3 response. */
export interface StatusLine {
  /** `+OK`, `-ERR`, or a SASL continuation (`+ ...`, RFC 5034). */
  kind: 'ok' | 'err' | 'continuation';
  /** The text after the status indicator, without the response code. */
  text: string;
  /** The RFC 2449 extended response code, upper-case (e.g. `IN-USE`, `SYS/TEMP`), or null. */
  responseCode: string | null;
  /** The whole line as received (latin1-decoded, without CRLF). */
  line: string;
}

/** Parses a status line; null when it is neither +OK, -ERR nor a continuation. */
export function parseStatusLine(line: string): StatusLine | null {
  const upper = line.slice(0, 4).toUpperCase();
  let kind: StatusLine['kind'];
  let rest: string;
  if (upper.startsWith('+OK') && (line.length === 3 || line[3] === ' ')) {
    kind = 'ok';
    rest = line.slice(4);
  } else if (upper === '-ERR' && (line.length === 4 || line[4] === ' ')) {
    kind = 'err';
    rest = line.slice(5);
  } else if (line === '+' || line.startsWith('+ ')) {
    return { kind: 'continuation', text: line.slice(2), responseCode: null, line };
  } else {
    return null;
  }
  const code = /^\[([^\]]*)\]\s*/.exec(rest);
  if (!code) return { kind, text: rest, responseCode: null, line };
  return { kind, text: rest.slice(code[0].length), responseCode: (code[1] ?? '').toUpperCase(), line };
}
