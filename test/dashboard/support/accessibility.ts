import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

export interface AccessibilityOptions {
  /** CSS selectors to check instead of the whole page. */
  readonly include?: readonly string[];
  /** CSS selectors to leave out (say why at the call site). */
  readonly exclude?: readonly string[];
  /** axe rule ids to switch off (say why at the call site). */
  readonly disableRules?: readonly string[];
  /** Named in the failure message: which state of the page was checked. */
  readonly what?: string;
}

/** The WCAG levels the console holds itself to (issue 9: every control labelled, keyboard-usable). */
export const AXE_TAGS: readonly string[] = ['wcag2a', 'wcag2aa'];

/**
 * Runs axe-core on the page as it is now and fails with one readable line per violation and
 * offending element (rule, impact, what is wrong, the element's selector and axe's fix summary).
 */
export const expectAccessible = async (page: Page, options: AccessibilityOptions = {}): Promise<void> => {
  let builder = new AxeBuilder({ page }).withTags([...AXE_TAGS]);
  for (const selector of options.include ?? []) builder = builder.include(selector);
  for (const selector of options.exclude ?? []) builder = builder.exclude(selector);
  if (options.disableRules?.length) builder = builder.disableRules([...options.disableRules]);
  const results = await builder.analyze();
  if (results.violations.length === 0) return;
  const lines = results.violations.flatMap((v) => [
    `- ${v.id} (${v.impact ?? 'unknown impact'}): ${v.help} [${v.helpUrl}]`,
    ...v.nodes.map((n) => `    at ${n.target.map(String).join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ').trim()}`),
  ]);
  throw new Error(`axe found ${results.violations.length} accessibility violation(s) on ${options.what ?? page.url()}:\n${lines.join('\n')}`);
};
