import type { CursorPages } from './useCursorPages.ts';

export interface CursorPagerProps {
  /** The nav's accessible name, e.g. "Audit pages". */
  readonly label: string;
  readonly pages: CursorPages;
  /** The cursor of the page after the one shown; undefined on the last page. */
  readonly nextCursor: string | undefined;
  /** What the buttons say, in the list's own words ("Newer commands", "Older commands"). */
  readonly previousText: string;
  readonly nextText: string;
}

/** Back and forth through a keyset-paged list (useCursorPages); shown only when there is more than one page. */
export const CursorPager = ({ label, pages, nextCursor, previousText, nextText }: CursorPagerProps) =>
  pages.page > 1 || nextCursor ? (
    <nav className="pager" aria-label={label}>
      <button type="button" onClick={pages.previous} disabled={pages.page === 1}>
        {previousText}
      </button>
      <span>Page {pages.page}</span>
      <button type="button" onClick={() => nextCursor && pages.next(nextCursor)} disabled={!nextCursor}>
        {nextText}
      </button>
    </nav>
  ) : null;
