/**
 * Progress of a long task: a bar redrawn in place on a terminal, plain lines anywhere else (logs,
 * pipes, CI), where carriage returns and escape codes would be noise.
 */

export interface ProgressState {
  /** Units finished, failures included. */
  readonly done: number;
  /** Units that finished badly. */
  readonly failed: number;
  /** Units in all, when known. */
  readonly total?: number | undefined;
}

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export interface ProgressOptions {
  /** What is counted: "rows", "bytes". */
  readonly unit: string;
  readonly label: string;
  /** Formats a count (bytes as MB, say); plain numbers by default. */
  readonly format?: (n: number) => string;
}

export interface Progress {
  update(state: ProgressState): void;
  /** Ends the bar's line on a TTY, so what is written next starts on its own line. */
  finish(): void;
}

const FILLED = '█';
const EMPTY = '░';
const CLEAR_TO_END = '\u001b[K';

/** The counts as words: `812/1000 rows, 3 failed, 81%`, or `812 rows, 3 failed` when the total is not known. */
export const describeProgress = (state: ProgressState, options: ProgressOptions): string => {
  const f = options.format ?? ((n: number) => String(n));
  const unit = options.unit === '' ? '' : ` ${options.unit}`;
  const counted = state.total === undefined ? `${f(state.done)}${unit}` : `${f(state.done)}/${f(state.total)}${unit}`;
  const failed = state.failed > 0 ? `, ${f(state.failed)} failed` : '';
  const percent = state.total !== undefined && state.total > 0 ? `, ${Math.floor((100 * Math.min(state.done, state.total)) / state.total)}%` : '';
  return `${counted}${failed}${percent}`;
};

/**
 * One line with a bar that fits `columns`: `label [████░░░░] 812/1000 rows, 3 failed, 81%`.
 * Without a total the bar is left out (an empty bar that never fills would mislead).
 */
export const renderBar = (state: ProgressState, options: ProgressOptions, columns: number): string => {
  const words = describeProgress(state, options);
  const label = options.label;
  if (state.total === undefined || state.total <= 0) return fit(`${label} ${words}`, columns);
  const room = columns - 1 - label.length - words.length - 4;
  if (room < 10) return fit(`${label} ${words}`, columns);
  const width = Math.min(40, room);
  const filled = Math.round((width * Math.min(state.done, state.total)) / state.total);
  return `${label} [${FILLED.repeat(filled)}${EMPTY.repeat(width - filled)}] ${words}`;
};

/** Cut to the terminal's width less one column, so the cursor never wraps to a new line. */
const fit = (text: string, columns: number) => (text.length < columns ? text : `${text.slice(0, Math.max(0, columns - 2))}…`);

/** A bar on a TTY, plain lines otherwise (a line only when the counts changed). */
export const createProgress = (stream: ProgressStream, options: ProgressOptions): Progress => {
  const tty = stream.isTTY === true;
  let last: string | undefined;
  let drawn = false;
  return {
    update(state) {
      if (tty) {
        const line = renderBar(state, options, stream.columns ?? 80);
        if (line === last) return;
        stream.write(`\r${line}${CLEAR_TO_END}`);
        last = line;
        drawn = true;
        return;
      }
      const line = `${options.label}: ${describeProgress(state, options)}`;
      if (line === last) return;
      stream.write(`${line}\n`);
      last = line;
    },
    finish() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
};

/** Bytes for people: 512 B, 12.3 kB, 45.0 MB. */
export const formatBytes = (n: number): string => {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 'B';
  for (const u of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${value.toFixed(1)} ${unit}`;
};
