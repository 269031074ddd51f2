import { describe, expect, it } from 'vitest';
import { parseLinkFormat } from '../../../functions/lwm2m/linkFormat.ts';
import { formatLwm2mPath, parseLwm2mPath } from '../../../functions/lwm2m/lwm2mPath.ts';
import { readObjectLinks } from '../../../functions/lwm2m/registrationObjects.ts';
import { parseRegisterQuery, parseUpdateQuery } from '../../../functions/lwm2m/registrationQuery.ts';

const body = (text: string) => Buffer.from(text, 'utf8');

describe('link format (RFC 6690)', () => {
  it('reads targets, parameters with and without values, quoted strings with escapes', () => {
    const parsed = parseLinkFormat('</>;rt="oma.lwm2m";ct=11543,</3/0>;obs,</5>;title="a \\"b\\", c"');
    expect(parsed).toEqual({
      ok: true,
      links: [
        { target: '/', params: [{ name: 'rt', value: 'oma.lwm2m' }, { name: 'ct', value: '11543' }] },
        { target: '/3/0', params: [{ name: 'obs', value: undefined }] },
        { target: '/5', params: [{ name: 'title', value: 'a "b", c' }] },
      ],
    });
  });

  it('tolerates whitespace around separators, as pretty-printing devices send', () => {
    const parsed = parseLinkFormat('</1/0>,\n  </3/0> ; ver=1.1 ,\r\n</5>');
    expect(parsed.ok && parsed.links.map((l) => l.target)).toEqual(['/1/0', '/3/0', '/5']);
  });

  it('an empty body is no links', () => {
    expect(parseLinkFormat('')).toEqual({ ok: true, links: [] });
  });

  it.each([
    ['no angle bracket', '/3/0', /expected '<'/],
    ['unclosed target', '</3/0', /not closed/],
    ['junk after a link', '</3/0>x', /expected ',' or ';'/],
    ['trailing comma', '</3/0>,', /expected '<'/],
    ['empty parameter name', '</3/0>;=1', /parameter name/],
    ['value missing', '</3/0>;ct=', /no value/],
    ['unclosed quote', '</3/0>;rt="abc', /not closed/],
    ['space inside a target', '</3 /0>', /whitespace/],
  ])('refuses %s', (_, text, reason) => {
    const parsed = parseLinkFormat(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('refuses bytes that are not UTF-8', () => {
    const parsed = parseLinkFormat(Buffer.from([0x3c, 0xff, 0xfe, 0x3e]));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/UTF-8/);
  });

  it('enforces its limits: links, parameters per link, value length', () => {
    expect(parseLinkFormat(Array.from({ length: 11 }, (_, i) => `</${i}>`).join(','), { maxLinks: 10 })).toMatchObject({ ok: false });
    expect(parseLinkFormat(`</1>${';a'.repeat(5)}`, { maxParamsPerLink: 4 })).toMatchObject({ ok: false });
    expect(parseLinkFormat(`</1>;title="${'x'.repeat(50)}"`, { maxValueLength: 20 })).toMatchObject({ ok: false });
    expect(parseLinkFormat(`</${'x'.repeat(50)}>`, { maxValueLength: 20 })).toMatchObject({ ok: false });
  });

  it('handles a 1 MB body of garbage in linear time and refuses it', () => {
    const started = performance.now();
    expect(parseLinkFormat('<'.repeat(1_000_000)).ok).toBe(false);
    expect(parseLinkFormat(`</1>${';a=b'.repeat(200_000)}`).ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('registration objects (LwM2M Core §6.2.1)', () => {
  it('reads the root link, its content formats, objects, instances and versions', () => {
    const parsed = readObjectLinks(body('</>;rt="oma.lwm2m";ct="60 110 112 11542",</1/0>,</3/0>,</5>,</3303>;ver=1.1,</3303/0>,</3303/1>'));
    expect(parsed).toEqual({
      ok: true,
      value: {
        rootPath: '',
        contentFormats: [60, 110, 112, 11542],
        objects: [
          { objectId: 1, instances: [0] },
          { objectId: 3, instances: [0] },
          { objectId: 5, instances: [] },
          { objectId: 3303, version: '1.1', instances: [0, 1] },
        ],
        otherLinks: [],
      },
    });
  });

  it('follows an alternate root path and keeps links outside it aside', () => {
    const parsed = readObjectLinks(body('</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>,</lwm2m/3/0>,</other/thing>'));
    expect(parsed.ok && parsed.value.rootPath).toBe('/lwm2m');
    expect(parsed.ok && parsed.value.objects.map((o) => o.objectId)).toEqual([1, 3]);
    expect(parsed.ok && parsed.value.otherLinks).toEqual(['/other/thing']);
  });

  it('without a root link, objects sit at /', () => {
    expect(readObjectLinks(body('</1/0>,</3/0>'))).toMatchObject({ ok: true, value: { rootPath: '', objects: [{ objectId: 1 }, { objectId: 3 }] } });
  });

  it.each([
    ['a resource-level link', '</3/0/1>', /neither an Object/],
    ['a non-numeric id', '</3/abc>', /neither an Object/],
    ['an object id over 65535', '</70000>', /out of range/],
    ['instance 65535 (reserved)', '</3/65535>', /out of range/],
    ['a bad version', '</3>;ver=one', /major.minor/],
    ['two roots', '</a>;rt="oma.lwm2m",</b>;rt="oma.lwm2m"', /more than one/],
    ['a bad ct', '</>;rt="oma.lwm2m";ct="60 x"', /content-format/],
  ])('refuses %s', (_, text, reason) => {
    const parsed = readObjectLinks(body(text));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe('Register and Update query parameters', () => {
  it('applies the defaults: lifetime 86400, LwM2M 1.0, binding U, no queue', () => {
    expect(parseRegisterQuery(['ep=dev-1'])).toEqual({
      ok: true,
      value: { endpoint: 'dev-1', lifetimeSeconds: 86400, lwm2mVersion: '1.0', binding: 'U', queueMode: false },
    });
  });

  it('reads every parameter, Q (1.1) and b=UQ (1.0) both meaning queue mode', () => {
    expect(parseRegisterQuery(['ep=urn:imei:1', 'lt=300', 'lwm2m=1.1', 'b=U', 'Q', 'sms=+4912345'])).toEqual({
      ok: true,
      value: { endpoint: 'urn:imei:1', lifetimeSeconds: 300, lwm2mVersion: '1.1', binding: 'U', queueMode: true, smsNumber: '+4912345' },
    });
    expect(parseRegisterQuery(['ep=x', 'b=UQ'])).toMatchObject({ ok: true, value: { binding: 'U', queueMode: true } });
    expect(parseRegisterQuery(['ep=x', 'q'])).toMatchObject({ ok: true, value: { queueMode: true } });
  });

  it.each([
    [['lt=60'], /'ep'.*mandatory/, false],
    [['ep='], /'ep'.*mandatory/, false],
    [['ep=a', 'lt=-1'], /lt=/, false],
    [['ep=a', 'lt=abc'], /lt=/, false],
    [['ep=a', 'lt=99999999999'], /lt=/, false],
    [['ep=a', 'b=X'], /binding/, false],
    [['ep=a', 'b=UU'], /binding/, false],
    [['ep=a', 'b=Q'], /no transport/, false],
    [['ep=a', 'lwm2m=abc'], /not a version/, false],
    [['ep=a', 'lwm2m=2.0'], /not supported/, true],
    [['ep=a', 'lwm2m=1.3'], /not supported/, true],
    [['ep=a', 'ep=b'], /twice/, false],
    [['ep=a', 'colour=blue'], /unknown query parameter 'colour'/, false],
    [['ep=a\u0001'], /control characters/, false],
    [['ep=a', 'Q=1'], /no value/, false],
  ])('refuses %j', (query, reason, unsupportedVersion) => {
    const parsed = parseRegisterQuery(query);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.reason).toMatch(reason);
      expect(parsed.unsupportedVersion).toBe(unsupportedVersion);
    }
  });

  it('Update takes lt, b, sms and Q only, each optional', () => {
    expect(parseUpdateQuery([])).toEqual({ ok: true, value: {} });
    expect(parseUpdateQuery(['lt=120', 'b=UQ'])).toEqual({ ok: true, value: { lifetimeSeconds: 120, binding: 'U', queueMode: true } });
    expect(parseUpdateQuery(['b=U'])).toEqual({ ok: true, value: { binding: 'U', queueMode: false } });
    const refused = parseUpdateQuery(['ep=other']);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toMatch(/unknown query parameter 'ep'/);
  });
});

describe('LwM2M paths', () => {
  it('reads 1 to 4 levels and writes them back', () => {
    expect(parseLwm2mPath('/3/0/1/2')).toEqual({ ok: true, depth: 4, path: { objectId: 3, instanceId: 0, resourceId: 1, resourceInstanceId: 2 } });
    expect(formatLwm2mPath({ objectId: 3303, instanceId: 1 })).toBe('/3303/1');
  });

  it.each(['3/0', '/', '/3/', '/3/0/1/2/3', '/03', '/3/x', '/65536', '/3/65535', '/-1'])('refuses %s', (text) => {
    expect(parseLwm2mPath(text).ok).toBe(false);
  });
});
