const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

const SKIPPED_ELEMENT_OPEN = /<(script|style|head)\b/gi;
const LINE_BREAK_TAG = /^(?:<br\b|<\/(?:p|div|tr|li|h[1-6])\s*>$)/i;

/**
 * Markup stripped from an HTML envelope: block ends become line breaks, entities decoded.
 * Every step is a forward scan (a sender writes the envelope's HTML: an unclosed `<!--`,
 * `<script` or `<` must not make a step rescan the rest of the text for each occurrence).
 */
export function htmlToText(html: string): string {
  const text = stripTags(stripComments(stripSkippedElements(html)).replace(/\r\n|\r|\n/g, ' '));
  return text
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
      if (name.startsWith('#')) {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
      }
      return ENTITIES[name.toLowerCase()] ?? entity;
    })
    .split('\n')
    .map((line) => line.trim())
    .join('\n');
}

/** Drops `<script>…</script>`, `<style>…`, `<head>…`; an element never closed is left to `stripTags`. */
function stripSkippedElements(html: string): string {
  const unclosed = new Set<string>();
  const kept: string[] = [];
  let keptFrom = 0;
  const open = new RegExp(SKIPPED_ELEMENT_OPEN.source, 'gi');
  for (let match = open.exec(html); match !== null; match = open.exec(html)) {
    const name = (match[1] as string).toLowerCase();
    // once a name has no closing tag after some point, it has none after any later point
    if (unclosed.has(name)) continue;
    const close = new RegExp(`</${name}\\s*>`, 'gi');
    close.lastIndex = match.index + match[0].length;
    const closing = close.exec(html);
    if (closing === null) {
      unclosed.add(name);
      continue;
    }
    kept.push(html.slice(keptFrom, match.index));
    keptFrom = closing.index + closing[0].length;
    open.lastIndex = keptFrom;
  }
  if (keptFrom === 0) return html;
  kept.push(html.slice(keptFrom));
  return kept.join('');
}

/** Drops `<!-- … -->`; an unclosed comment is left to `stripTags`. */
function stripComments(html: string): string {
  return replaceSpans(html, '<!--', '-->', () => '');
}

/** `<br …>` and block ends become line breaks, other tags go; a `<` with no `>` after it stays text. */
function stripTags(html: string): string {
  // tags never overlap: linear
  return replaceSpans(html, '<', '>', (tag) => (LINE_BREAK_TAG.test(tag) ? '\n' : ''));
}

/**
 * Replaces each span from `open` to the next `close` after it by `replace(span)`, left to right;
 * from an `open` with no `close` after it on, the text stays as it is (no later span can close).
 */
function replaceSpans(html: string, open: string, close: string, replace: (span: string) => string): string {
  const out: string[] = [];
  let keptFrom = 0;
  for (let start = html.indexOf(open); start >= 0; start = html.indexOf(open, keptFrom)) {
    const end = html.indexOf(close, start + open.length);
    if (end < 0) break;
    out.push(html.slice(keptFrom, start), replace(html.slice(start, end + close.length)));
    keptFrom = end + close.length;
  }
  if (keptFrom === 0) return html;
  out.push(html.slice(keptFrom));
  return out.join('');
}
