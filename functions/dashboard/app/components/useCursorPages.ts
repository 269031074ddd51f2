import { useCallback, useState } from 'react';

/**
 * Paging through keyset cursors, which only go forwards: the cursors of the pages already seen
 * are kept so "previous" can go back. Changing the filters starts again from the first page
 * (a cursor is bound to the query that made it, and the API refuses it under other filters).
 */
export interface CursorPages {
  /** The cursor of the page shown; undefined on the first. */
  readonly cursor: string | undefined;
  /** 1 for the first page. */
  readonly page: number;
  readonly next: (cursor: string) => void;
  readonly previous: () => void;
  readonly reset: () => void;
}

export const useCursorPages = (filtersKey: string): CursorPages => {
  const [state, setState] = useState<{ key: string; stack: readonly string[] }>({ key: filtersKey, stack: [] });
  // Other filters: back to the first page, decided while rendering so no stale cursor is ever sent.
  const stack = state.key === filtersKey ? state.stack : [];
  if (state.key !== filtersKey) setState({ key: filtersKey, stack: [] });
  const next = useCallback((cursor: string) => setState((s) => ({ key: s.key, stack: [...s.stack, cursor] })), []);
  const previous = useCallback(() => setState((s) => ({ key: s.key, stack: s.stack.slice(0, -1) })), []);
  const reset = useCallback(() => setState((s) => ({ key: s.key, stack: [] })), []);
  return { cursor: stack.at(-1), page: stack.length + 1, next, previous, reset };
};
