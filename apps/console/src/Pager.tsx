/**
 * First page / Next page over a cursor-paged list: `cursors` is the stack of cursors of the pages
 * after the first, `nextCursor` what the current page returned (null or absent on the last).
 */
export function Pager({
  label,
  cursors,
  setCursors,
  nextCursor,
}: {
  label: string;
  cursors: string[];
  setCursors: (cursors: string[]) => void;
  nextCursor: string | null | undefined;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={cursors.length === 0} onClick={() => setCursors([])}>
        First page
      </button>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && setCursors([...cursors, nextCursor])}>
        Next page
      </button>
    </nav>
  );
}
