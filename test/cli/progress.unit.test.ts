import { describe, expect, it } from 'vitest';
import { createProgress, describeProgress, formatBytes, renderBar } from '../../functions/cli/progress.ts';

const rows = { label: 'provisioning', unit: 'rows' };

/** A stream that records what was written, as a terminal or as a pipe. */
const stream = (tty: boolean, columns = 80) => {
  const writes: string[] = [];
  return { writes, isTTY: tty, columns, write: (text: string) => writes.push(text) };
};

describe('describeProgress', () => {
  it('says done/total, failures and percent', () => {
    expect(describeProgress({ done: 812, failed: 3, total: 1000 }, rows)).toBe('812/1000 rows, 3 failed, 81%');
    expect(describeProgress({ done: 5, failed: 0, total: 5 }, rows)).toBe('5/5 rows, 100%');
    expect(describeProgress({ done: 7, failed: 0 }, rows)).toBe('7 rows');
  });
});

describe('renderBar', () => {
  it('fills the bar in proportion and fits the terminal', () => {
    const line = renderBar({ done: 500, failed: 10, total: 1000 }, rows, 80);
    expect(line).toMatch(/^provisioning \[█+░+\] 500\/1000 rows, 10 failed, 50%$/);
    const bar = /\[(.*)\]/.exec(line)?.[1] ?? '';
    expect(bar.match(/█/g)?.length).toBe(bar.length / 2);
    expect(line.length).toBeLessThan(80);
    expect(renderBar({ done: 1000, failed: 0, total: 1000 }, rows, 80)).not.toContain('░');
  });

  it('leaves the bar out when the total is unknown or the terminal is narrow', () => {
    expect(renderBar({ done: 3, failed: 0 }, rows, 80)).toBe('provisioning 3 rows');
    const narrow = renderBar({ done: 500, failed: 10, total: 1000 }, rows, 30);
    expect(narrow).not.toContain('[');
    expect(narrow.length).toBeLessThan(30);
    expect(narrow.endsWith('…')).toBe(true);
  });

  it('never overfills when a count passes the total', () => {
    expect(renderBar({ done: 12, failed: 0, total: 10 }, rows, 80)).toContain('100%');
  });
});

describe('createProgress', () => {
  it('redraws one line in place on a terminal and ends it on finish', () => {
    const tty = stream(true);
    const progress = createProgress(tty, rows);
    progress.update({ done: 0, failed: 0, total: 4 });
    progress.update({ done: 0, failed: 0, total: 4 });
    progress.update({ done: 4, failed: 1, total: 4 });
    progress.finish();
    expect(tty.writes).toHaveLength(3);
    const CLEAR = '\u001b[K';
    expect(tty.writes[0]?.startsWith('\rprovisioning [')).toBe(true);
    expect(tty.writes[0]?.endsWith(`] 0/4 rows, 0%${CLEAR}`)).toBe(true);
    expect(tty.writes[1]?.endsWith(`] 4/4 rows, 1 failed, 100%${CLEAR}`)).toBe(true);
    expect(tty.writes[2]).toBe('\n');
  });

  it('writes plain lines elsewhere, one per change, with no escape codes', () => {
    const pipe = stream(false);
    const progress = createProgress(pipe, rows);
    progress.update({ done: 0, failed: 0 });
    progress.update({ done: 2, failed: 0, total: 4 });
    progress.update({ done: 2, failed: 0, total: 4 });
    progress.update({ done: 4, failed: 1, total: 4 });
    progress.finish();
    expect(pipe.writes).toEqual(['provisioning: 0 rows\n', 'provisioning: 2/4 rows, 50%\n', 'provisioning: 4/4 rows, 1 failed, 100%\n']);
    expect(pipe.writes.join('')).not.toContain('\r');
    expect(pipe.writes.join('')).not.toContain('\u001b');
  });

  it('writes nothing on finish when nothing was drawn', () => {
    const tty = stream(true);
    createProgress(tty, rows).finish();
    expect(tty.writes).toEqual([]);
  });
});

describe('formatBytes', () => {
  it('uses decimal units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(12_345)).toBe('12.3 kB');
    expect(formatBytes(45_000_000)).toBe('45.0 MB');
  });
});
