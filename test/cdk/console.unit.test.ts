import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleContentSecurityPolicy, consoleDomainPrefix, readConsoleIndex, withConnectPolicy } from '../../infra/cdk/constructs/console.ts';

/** A CSP as directive → sources. */
const directives = (csp: string): Map<string, string[]> =>
  new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name!, sources]),
  );

describe('Cognito domain prefix from the stack name', () => {
  it('lower-cases the name and keeps letters and digits', () => {
    expect(consoleDomainPrefix('LwM2MFleet')).toBe('lwm2mfleet');
  });

  it('turns runs of other characters into one hyphen, never first or last', () => {
    expect(consoleDomainPrefix('_Fleet__Prod.EU-1_')).toBe('fleet-prod-eu-1');
  });

  it('leaves out the words Cognito reserves, wherever they are', () => {
    const prefix = consoleDomainPrefix('AwsFleet-amazonCognitoTest');
    expect(prefix).toBe('fleet-test');
    expect(prefix).not.toMatch(/aws|amazon|cognito/);
  });

  it('stays within 40 characters so that the stack-id suffix fits Cognito’s 63', () => {
    const prefix = consoleDomainPrefix(`${'a'.repeat(39)}-B${'c'.repeat(30)}`);
    expect(prefix.length).toBeLessThanOrEqual(40);
    expect(prefix).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
  });

  it('refuses a name that leaves nothing usable, saying what to do', () => {
    expect(() => consoleDomainPrefix('AWS-Cognito')).toThrow(/name the stack with some other letters or digits/);
  });
});

describe('Content-Security-Policy', () => {
  const csp = directives(consoleContentSecurityPolicy(['https://signin.example', 'https://*.execute-api.eu-west-1.amazonaws.com']));

  it('allows this origin only, and connections to the given origins besides', () => {
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(["'self'", 'https://signin.example', 'https://*.execute-api.eu-west-1.amazonaws.com']);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.has('upgrade-insecure-requests')).toBe(true);
  });

  it('allows no inline script or style and no eval', () => {
    const all = [...csp.values()].flat();
    expect(all.filter((s) => /unsafe|\*$|^https?:$|^\*$/.test(s))).toEqual([]);
  });
});

describe("index.html's own policy", () => {
  const html = '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n    <script type="module" src="./assets/index-1.js"></script>\n  </head>\n</html>';

  it('comes first in <head>, before any script, and names exactly the given origins', () => {
    const out = withConnectPolicy(html, ['https://signin.example', 'https://api.example']);
    const meta = out.indexOf('http-equiv="Content-Security-Policy"');
    expect(meta).toBeGreaterThan(out.indexOf('<head>'));
    expect(meta).toBeLessThan(out.indexOf('<meta charset'));
    expect(meta).toBeLessThan(out.indexOf('<script'));
    expect(out).toContain(`content="connect-src 'self' https://signin.example https://api.example"`);
    // Everything else is untouched.
    expect(out.replace(/\n\s*<meta http-equiv[^>]*>/, '')).toBe(html);
  });

  it('finds a <head> with attributes too', () => {
    expect(withConnectPolicy('<html><HEAD data-x="1"><title>t</title></HEAD></html>', ['https://a.example'])).toMatch(/<HEAD data-x="1">\n\s*<meta http-equiv/);
  });

  it('refuses a page without <head>, pointing at the build', () => {
    expect(() => withConnectPolicy('<html><body></body></html>', ['https://a.example'])).toThrow(/no <head> element.*npm run build:web/);
  });
});

describe('the build folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-build-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('must hold index.html; the error says how to build one', () => {
    expect(() => readConsoleIndex(dir)).toThrow(/has no index\.html: run `npm run build:web`/);
    writeFileSync(join(dir, 'index.html'), '<html><head></head></html>');
    expect(readConsoleIndex(dir)).toBe('<html><head></head></html>');
  });
});
