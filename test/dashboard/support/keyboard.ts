import type { Page } from 'playwright-core';

export interface KeyboardOptions {
  /** Only controls inside this CSS selector must be reached (default: the whole page). */
  readonly within?: string;
  /** Controls matching this CSS selector are not required (say why at the call site). */
  readonly ignore?: string;
  /** Named in the failure message: which state of the page was checked. */
  readonly what?: string;
}

/** What can take focus: real controls and anything given a tab stop. */
const CONTROLS = 'a[href], button, input, select, textarea, summary, iframe, [contenteditable="true"], [tabindex]:not([tabindex="-1"])';
const MARK = 'data-keyboard-check';

/** The slice of the DOM the in-page code uses (the repo's tsconfig has no DOM library). */
interface InPageElement {
  readonly tagName: string;
  readonly id: string;
  readonly textContent: string | null;
  readonly disabled?: boolean;
  readonly type?: string;
  readonly name?: string;
  readonly labels?: Iterable<{ readonly textContent: string | null }> | null;
  readonly form?: { readonly id: string } | null;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  matches(selector: string): boolean;
  closest(selector: string): InPageElement | null;
  getBoundingClientRect(): { readonly width: number; readonly height: number };
  querySelectorAll(selector: string): Iterable<InPageElement>;
  blur(): void;
}
interface InPage {
  readonly document: {
    readonly body: InPageElement;
    readonly activeElement: InPageElement | null;
    getElementById(id: string): InPageElement | null;
    querySelector(selector: string): InPageElement | null;
    querySelectorAll(selector: string): Iterable<InPageElement>;
  };
  readonly getComputedStyle: (el: InPageElement) => { readonly visibility: string; readonly display: string };
  readonly scrollTo: (x: number, y: number) => void;
}

/**
 * Tabs through the page from the top and fails naming every visible, enabled control that Tab
 * never reached (a click handler on a div, a positive tabindex trap, a control hidden from the
 * tab order). A radio group counts as reached when one of its radios is: browsers give a group
 * one tab stop and move within it with the arrow keys. Returns the reached controls in tab order
 * (as "tag: name"), so a test can also assert the order it expects.
 */
export const expectKeyboardReachable = async (page: Page, options: KeyboardOptions = {}): Promise<string[]> => {
  const candidates = await page.evaluate(
    ({ controls, mark, within, ignore }) => {
      // The repo's tsconfig has no DOM library (this runs in the browser, serialized by playwright): the little it uses, typed here.
      const { document, getComputedStyle } = globalThis as unknown as InPage;
      const describe = (el: InPageElement): string => {
        const labelledBy = el.getAttribute('aria-labelledby');
        const byId = labelledBy ? labelledBy.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ') : '';
        const byLabel = [...(el.labels ?? [])].map((l) => l.textContent ?? '').join(' ');
        const name = el.getAttribute('aria-label') ?? (byId || byLabel || el.textContent || el.getAttribute('name') || el.id || '');
        const tag = el.tagName.toLowerCase();
        return `${tag}${tag === 'input' ? `[${el.type ?? 'text'}]` : ''}: ${name.replace(/\s+/g, ' ').trim().slice(0, 60)}`;
      };
      const visible = (el: InPageElement): boolean => {
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return style.visibility !== 'hidden' && style.display !== 'none' && box.width > 0 && box.height > 0 && !el.closest('[inert], [aria-hidden="true"]');
      };
      const root = within ? document.querySelector(within) : document.body;
      if (!root) throw new Error(`expectKeyboardReachable: nothing matches ${within ?? 'body'}`);
      const found: { id: string; description: string; group?: string }[] = [];
      let n = 0;
      for (const el of root.querySelectorAll(controls)) {
        if (el.disabled === true || el.closest('fieldset:disabled') || !visible(el)) continue;
        const tag = el.tagName.toLowerCase();
        if (tag === 'input' && el.type === 'hidden') continue;
        if (ignore && el.matches(ignore)) continue;
        const id = String(n++);
        el.setAttribute(mark, id);
        const group = tag === 'input' && el.type === 'radio' && el.name ? `radio:${el.form?.id ?? ''}:${el.name}` : undefined;
        found.push(group ? { id, description: describe(el), group } : { id, description: describe(el) });
      }
      return found;
    },
    { controls: CONTROLS, mark: MARK, within: options.within, ignore: options.ignore },
  );

  try {
    // Start from the top of the document, as a keyboard user arriving at the page does.
    await page.evaluate(() => {
      const { document, scrollTo } = globalThis as unknown as InPage;
      document.activeElement?.blur();
      scrollTo(0, 0);
    });
    const reached: string[] = [];
    const seen = new Set<string>();
    const groups = new Set<string>();
    const needed = () => candidates.filter((c) => !seen.has(c.id) && !(c.group && groups.has(c.group)));
    // Every control once, plus slack for stops outside the candidates (the page body, the browser's own UI).
    const limit = candidates.length * 2 + 10;
    for (let i = 0; i < limit && needed().length > 0; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate((mark) => (globalThis as unknown as InPage).document.activeElement?.getAttribute(mark) ?? null, MARK);
      if (id === null || seen.has(id)) continue;
      seen.add(id);
      const candidate = candidates.find((c) => c.id === id);
      if (!candidate) continue;
      reached.push(candidate.description);
      if (candidate.group) groups.add(candidate.group);
    }
    const missed = needed();
    if (missed.length > 0) {
      throw new Error(
        `Tab never reached ${missed.length} of ${candidates.length} control(s) on ${options.what ?? page.url()}:\n${missed.map((c) => `- ${c.description}`).join('\n')}\nreached, in order:\n${reached.map((r) => `- ${r}`).join('\n')}`,
      );
    }
    return reached;
  } finally {
    // Leaves no marks and no focus behind: a screenshot taken next shows the page as a user would see it.
    await page
      .evaluate((mark) => {
        const { document } = globalThis as unknown as InPage;
        for (const el of document.querySelectorAll(`[${mark}]`)) el.removeAttribute(mark);
        document.activeElement?.blur();
      }, MARK)
      .catch(() => undefined);
  }
};
