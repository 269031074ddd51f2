/**
 * Thrown when an event pattern cannot be compiled. `path` points at the offending part of the
 * pattern (`$` is the pattern itself, `$.detail.state[0]` the first value listed for detail.state)
 * so the author can find it in a large rule; `reason` says what is wrong and how to fix it.
 */
export class PatternError extends Error {
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(`Invalid event pattern at ${path}: ${reason}`);
    this.name = 'PatternError';
    this.path = path;
    this.reason = reason;
  }
}

/** A short, human description of a JSON value for error messages: `string "abc"`, `number 5`, `object`. */
export const describeValue = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (typeof value === 'object') return 'object';
  return typeof value;
};

export const childPath = (path: string, key: string): string => `${path}.${key}`;
export const indexPath = (path: string, index: number): string => `${path}[${index}]`;
