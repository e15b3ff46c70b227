export interface MediaType {
  /** Lower-case `type/subtype`. */
  type: string;
  /** Lower-case parameter names; RFC 2231 continuations and charsets resolved. */
  params: Map<string, string>;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  return value;
}

/** Splits `a; b="x;y"; c` at semicolons outside quoted strings. */
function splitParameters(value: string): string[] {
  if (!value.includes('"')) return value.split(';');
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i] as string;
    if (quoted && char === '\\') {
      current += char + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

function decodeExtendedValue(value: string): string {
  const match = /^([^']*)'[^']*'(.*)$/.exec(value);
  const encoded = match ? (match[2] as string) : value;
  const bytes = Buffer.from(
    encoded.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
  try {
    return new TextDecoder((match?.[1] || 'utf-8').toLowerCase(), { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** Parses `token; name=value; ...` (Content-Type, Content-Disposition): lower-case token and params. */
export function parseParameterizedValue(value: string | null): { token: string; params: Map<string, string> } {
  const [head = '', ...rest] = splitParameters(value ?? '');
  const token = head.trim().toLowerCase().replace(/\s+/g, '');
  const params = new Map<string, string>();
  const continued = new Map<string, Array<{ index: number; value: string; extended: boolean }>>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const rawName = part.slice(0, eq).trim().toLowerCase();
    const rawValue = unquote(part.slice(eq + 1).trim());
    const section = /^(.+?)\*(\d+)(\*?)$/.exec(rawName);
    if (section) {
      const list = continued.get(section[1] as string) ?? [];
      list.push({ index: Number(section[2]), value: rawValue, extended: section[3] === '*' });
      continued.set(section[1] as string, list);
    } else if (rawName.endsWith('*')) {
      params.set(rawName.slice(0, -1), decodeExtendedValue(rawValue));
    } else if (!params.has(rawName)) {
      params.set(rawName, rawValue);
    }
  }
  for (const [name, sections] of continued) {
    sections.sort((a, b) => a.index - b.index);
    const joined = sections.map((s) => s.value).join('');
    params.set(name, sections[0]?.extended ? decodeExtendedValue(joined) : joined);
  }
  return { token, params };
}

/** Parses a Content-Type value; `fallback` when it is missing or malformed. */
export function parseMediaType(value: string | null, fallback: string): MediaType {
  const { token, params } = parseParameterizedValue(value);
  return { type: /^[^/\s]+\/[^/\s]+$/.test(token) ? token : fallback, params };
}

/** RFC 2046 allows 1-70 characters; longer ones are refused so stream hold-back stays small. */
const MAX_BOUNDARY_LENGTH = 200;

/** The boundary of a multipart media type, or null when it is not a usable multipart. */
export function multipartBoundary(mediaType: MediaType): string | null {
  if (!mediaType.type.startsWith('multipart/')) return null;
  const boundary = mediaType.params.get('boundary');
  return boundary === undefined || boundary === '' || boundary.length > MAX_BOUNDARY_LENGTH ? null : boundary;
}
