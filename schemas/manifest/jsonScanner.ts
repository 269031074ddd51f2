import { ManifestError } from './errors.ts';
import type { ManifestLimits } from './limits.ts';

/** A row nests two levels (row, attributes); deeper than this is refused before JSON.parse sees it. */
export const MAX_JSON_DEPTH = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Walks JSON text without building values: knows whether it is inside a string, how deep the
 * brackets go, and where a top-level value ends. Holds no text, so its memory is constant;
 * its state carries across chunks. It only finds boundaries: JSON.parse judges each piece.
 */
export class JsonScanner {
  depth = 0;
  deepest = 0;
  private inString = false;
  private escaped = false;
  private stringLength = 0;
  /** The row being scanned, for the error when a string is too long. */
  rowNumber = 0;

  constructor(private readonly limits: ManifestLimits) {}

  /** Index of the first "," or "]" outside strings and brackets from `from` on, or -1 if the text ends first. */
  toBoundary(text: string, from: number): number {
    for (let i = from; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          continue;
        }
        if (++this.stringLength > this.limits.maxFieldLength) this.tooLong();
        continue;
      }
      switch (c) {
        case QUOTE:
          this.inString = true;
          this.stringLength = 0;
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          this.depth += 1;
          if (this.depth > this.deepest) this.deepest = this.depth;
          break;
        case CLOSE_BRACE:
          // Unbalanced closers are left for JSON.parse to name; the count never goes negative.
          if (this.depth > 0) this.depth -= 1;
          break;
        case CLOSE_BRACKET:
          if (this.depth === 0) return i;
          this.depth -= 1;
          break;
        case COMMA:
          if (this.depth === 0) return i;
          break;
      }
    }
    return -1;
  }

  reset(): void {
    this.depth = 0;
    this.deepest = 0;
    this.inString = false;
    this.escaped = false;
    this.stringLength = 0;
  }

  private tooLong(): never {
    throw new ManifestError(
      'field-too-long',
      `a JSON string has more than ${this.limits.maxFieldLength} characters (maxFieldLength); a quote that is never closed also does this.`,
      'Check the quotes in this row; attribute values hold at most 800 characters anyway.',
      { rowNumber: this.rowNumber, limit: { name: 'maxFieldLength', value: this.limits.maxFieldLength } },
    );
  }
}

export const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
