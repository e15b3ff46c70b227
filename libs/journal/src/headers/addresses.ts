/**
 * The lower-cased addr-specs of an RFC 5322 address list (From, To, Cc, Bcc, Sender).
 * Display names are ignored even when they look like addresses; comments and group names too.
 */
export function parseAddressList(value: string | null): string[] {
  if (value === null) return [];
  if (SIMPLE_LIST.test(value)) return parseSimpleList(value);
  const addresses = new Set<string>();
  let text = '';
  let angle: string | null = null;
  let inAngle = false;
  let quoted = false;
  let commentDepth = 0;
  const finishItem = () => {
    const address = angle !== null ? addressInAngle(angle) : bareAddress(text);
    if (address !== null) addresses.add(address);
    text = '';
    angle = null;
  };
  for (let i = 0; i < value.length; i++) {
    const char = value[i] as string;
    if (quoted) {
      if (char === '\\') i++;
      else if (char === '"') quoted = false;
      if (inAngle) angle += char;
      else text += char;
      continue;
    }
    if (commentDepth > 0) {
      if (char === '\\') i++;
      else if (char === '(') commentDepth++;
      else if (char === ')') commentDepth--;
      continue;
    }
    if (char === '(') commentDepth++;
    else if (char === '"') {
      quoted = true;
      if (inAngle) angle += char;
      else text += char;
    } else if (inAngle) {
      if (char === '>') inAngle = false;
      else angle += char;
    } else if (char === '<') {
      inAngle = true;
      angle = '';
    } else if (char === ',' || char === ';') finishItem();
    else if (char === ':')
      text = ''; // a group's display name
    else text += char;
  }
  finishItem();
  return [...addresses];
}

/** No quoted strings, comments or groups: commas separate the items. */
const SIMPLE_LIST = /^[^"():;\\]*$/;

function parseSimpleList(value: string): string[] {
  const addresses = new Set<string>();
  for (const item of value.split(',')) {
    const open = item.lastIndexOf('<');
    const close = item.indexOf('>', open);
    const address = open < 0 ? bareAddress(item) : addressInAngle(item.slice(open + 1, close < 0 ? undefined : close));
    if (address !== null) addresses.add(address);
  }
  return [...addresses];
}

function addressInAngle(content: string): string | null {
  // drop an obsolete source route "@a,@b:"
  const routeEnd = content.startsWith('@') ? content.indexOf(':') : -1;
  const address = content
    .slice(routeEnd + 1)
    .trim()
    .toLowerCase();
  return address.includes('@') ? address : null;
}

function bareAddress(text: string): string | null {
  const tokens = text
    .trim()
    .split(/\s+/)
    .filter((token) => token.includes('@'));
  const token = tokens[tokens.length - 1];
  return token === undefined ? null : token.toLowerCase();
}

const DN_FORM = /^(\[?ex:|\/o=)/i;
/** The usual case: a bare address, nothing to strip but case. */
const PLAIN_ADDRESS = /^[^\s<>"[/:]+$/;

/**
 * An envelope address (docs §4.5): trimmed, without `<>`, display name or `SMTP:` prefix,
 * lower-cased. Exchange DN forms (`EX:/o=…`, `/o=…`) are kept opaque. Null when empty.
 */
export function normaliseEnvelopeAddress(value: string): string | null {
  let address = value.trim();
  if (address === '') return null;
  if (PLAIN_ADDRESS.test(address)) return address.toLowerCase();
  if (!DN_FORM.test(address)) {
    const open = address.lastIndexOf('<');
    const close = address.indexOf('>', open);
    if (open >= 0 && close > open) {
      address = address.slice(open + 1, close).trim();
    } else if (/\s/.test(address)) {
      address = bareAddress(address.replace(/"[^"]*"/g, ' ')) ?? address;
    }
    if (address.length >= 2 && address.startsWith('"') && address.endsWith('"')) address = address.slice(1, -1).trim();
    address = address.replace(/^smtp:/i, '').trim();
  }
  return address === '' ? null : address.toLowerCase();
}

/** Splits a comma-separated list at commas outside quoted strings and angle brackets. */
export function splitListItems(value: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  let inAngle = false;
  for (const char of value) {
    if (char === '"' && !inAngle) quoted = !quoted;
    else if (!quoted && char === '<') inAngle = true;
    else if (!quoted && char === '>') inAngle = false;
    if (char === ',' && !quoted && !inAngle) {
      items.push(current);
      current = '';
    } else current += char;
  }
  items.push(current);
  return items.map((item) => item.trim()).filter((item) => item !== '');
}
