import { ManifestError } from './errors.ts';

/**
 * What one upload may hold. A breach stops parsing with a ManifestError naming the limit; rows
 * already yielded stay valid. The defaults fit 100,000 devices with generous attributes.
 */
export interface ManifestLimits {
  /** Bytes of the whole upload, counted as they arrive. */
  readonly maxBytes: number;
  /** Device rows (blank lines and the CSV header do not count). */
  readonly maxRows: number;
  /** Characters in one CSV record (its cells; separators not counted), one NDJSON line or one JSON array element. */
  readonly maxLineLength: number;
  /** Characters in one CSV cell or one JSON string. */
  readonly maxFieldLength: number;
}

export const DEFAULT_LIMITS: ManifestLimits = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxRows: 100_000,
  maxLineLength: 64 * 1024,
  maxFieldLength: 4 * 1024,
});

/** Fills in defaults and refuses nonsense, so a misconfigured caller fails before reading a byte. */
export const resolveLimits = (given: Partial<ManifestLimits> = {}): ManifestLimits => {
  const limits = { ...DEFAULT_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ManifestError(
        'bad-limits',
        `the manifest limit ${name} is ${String(value)}, not a positive whole number.`,
        `Pass a positive integer or leave ${name} out to use the default ${DEFAULT_LIMITS[name as keyof ManifestLimits]}.`,
      );
    }
  }
  if (limits.maxFieldLength > limits.maxLineLength) {
    throw new ManifestError(
      'bad-limits',
      `maxFieldLength (${limits.maxFieldLength}) is larger than maxLineLength (${limits.maxLineLength}).`,
      'A field lives inside a line: make maxFieldLength at most maxLineLength.',
    );
  }
  return limits;
};

/** The advice every size breach ends with: the fix is always to upload smaller files. */
export const splitAdvice = (limits: ManifestLimits): string =>
  `Split the manifest into files of at most ${limits.maxRows.toLocaleString('en')} rows and ${formatBytes(limits.maxBytes)} each and upload them one by one.`;

export const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MiB`
    : bytes >= 1024 && bytes % 1024 === 0
      ? `${bytes / 1024} KiB`
      : `${bytes} bytes`;
