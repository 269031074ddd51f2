import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAMBDA_ENV, requiredEnv } from '../../functions/lambda/env.ts';
import { HANDLERS, handlerEntryPath, type HandlerName } from '../../infra/cdk/handlers.ts';

const names = Object.keys(HANDLERS) as HandlerName[];

describe('handler registry', () => {
  it('points every handler at an entry file under functions/lambda that exports `handler`', async () => {
    // Entry files read their config at module scope; values only, no AWS call happens on import.
    process.env[LAMBDA_ENV.eventStoreTable] ??= 'registry-test-table';
    process.env[LAMBDA_ENV.eventBusName] ??= 'registry-test-bus';
    expect(names.length).toBeGreaterThanOrEqual(2);
    for (const name of names) {
      const path = handlerEntryPath(name);
      expect(HANDLERS[name].entry.startsWith('functions/lambda/')).toBe(true);
      expect(existsSync(path)).toBe(true);
      const module = (await import(pathToFileURL(path).href)) as { handler?: unknown };
      expect(typeof module.handler).toBe('function');
    }
  });

  it('fails a cold start that lacks a variable with a message that names it', () => {
    expect(() => requiredEnv('FLEET_NOT_SET', {})).toThrow(/FLEET_NOT_SET is not set: the CDK app \(infra\/cdk\) sets it/);
    expect(() => requiredEnv('BLANK', { BLANK: ' ' })).toThrow(/BLANK is not set/);
    expect(requiredEnv('SET', { SET: 'table-1' })).toBe('table-1');
  });
});
