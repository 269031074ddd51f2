import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The console bundles shared modules (schemas/lwm2m checks and object model, zod schemas) instead
 * of restating them. This walks every module the bundle runs, from app/main.tsx through value
 * imports (type imports are erased), and fails when one needs Node: a `node:` or bare builtin
 * import, or Node's Buffer. The app's own type check (no Node types) guards the type imports.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const ENTRY = resolve(ROOT, 'functions/dashboard/app/main.tsx');
const NODE_BUILTINS = new Set(['buffer', 'crypto', 'fs', 'path', 'os', 'url', 'util', 'stream', 'events', 'net', 'tls', 'dgram', 'http', 'https', 'zlib', 'child_process', 'worker_threads']);

// `import x from`, `import { a, type B } from`, `export { a } from`, `import './side.css'`; not `import type` / `export type`.
const IMPORT = /^\s*(import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

const valueImports = (source: string): string[] => [...source.matchAll(IMPORT)].map((m) => m[2]!);

/** Every file the bundle executes, with what each imports that a browser lacks. */
const walk = (): { files: string[]; problems: string[] } => {
  const seen = new Set<string>();
  const problems: string[] = [];
  const queue = [ENTRY];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    const where = relative(ROOT, file);
    if (/\bBuffer\s*[.(]/.test(code)) problems.push(`${where} uses Node's Buffer`);
    for (const specifier of valueImports(code)) {
      if (specifier.startsWith('node:') || NODE_BUILTINS.has(specifier)) problems.push(`${where} imports ${specifier}`);
      else if (specifier.startsWith('.') && /\.tsx?$/.test(specifier)) queue.push(resolve(dirname(file), specifier));
    }
  }
  return { files: [...seen].map((f) => relative(ROOT, f)), problems };
};

describe('the console bundle is browser-safe', () => {
  it('runs the shared LwM2M checks and object model, and none of what it runs needs Node', () => {
    const { files, problems } = walk();
    expect(files).toContain('schemas/lwm2m/checks.ts');
    expect(files).toContain('schemas/lwm2m/objects/model.ts');
    expect(files).not.toContain('functions/deviceViews/viewCursor.ts');
    expect(problems).toEqual([]);
  });

  it('would notice a Node import (the walker reads what it should)', () => {
    expect(valueImports("import { createHash } from 'node:crypto';\nimport type { X } from './x.ts';\nexport { y } from './y.ts';\nimport './z.css';")).toEqual(['node:crypto', './y.ts', './z.css']);
  });
});
