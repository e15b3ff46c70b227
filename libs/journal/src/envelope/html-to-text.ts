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
  const kept: string[] = [];
  let keptFrom = 0;
  for (let open = html.indexOf('<!--'); open >= 0; open = html.indexOf('<!--', keptFrom)) {
    const close = html.indexOf('-->', open + 4);
    if (close < 0) break; // no later comment can close either
    kept.push(html.slice(keptFrom, open));
    keptFrom = close + 3;
  }
  if (keptFrom === 0) return html;
  kept.push(html.slice(keptFrom));
  return kept.join('');
}

/** `<br …>` and block ends become line breaks, other tags go; a `<` with no `>` after it stays text. */
function stripTags(html: string): string {
  const out: string[] = [];
  let keptFrom = 0;
  for (let open = html.indexOf('<'); open >= 0; open = html.indexOf('<', keptFrom)) {
    const close = html.indexOf('>', open + 1);
    if (close < 0) break; // no later tag can close either
    out.push(html.slice(keptFrom, open));
    if (LINE_BREAK_TAG.test(html.slice(open, close + 1))) out.push('\n'); // tags never overlap: linear
    keptFrom = close + 1;
  }
  if (keptFrom === 0) return html;
  out.push(html.slice(keptFrom));
  return out.join('');
}
