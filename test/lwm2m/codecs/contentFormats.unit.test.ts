import { describe, expect, it } from 'vitest';
import { CONTENT_FORMAT, CONTENT_FORMATS, canonicalContentFormat, codecFor, contentFormatInfo, contentFormatName, formatsForVersion } from '../../../schemas/lwm2m/index.ts';

describe('content formats', () => {
  it('lists the numbers, media types and names LwM2M uses', () => {
    expect(CONTENT_FORMATS.map((f) => [f.contentFormat, f.mediaType])).toEqual([
      [0, 'text/plain;charset=utf-8'],
      [40, 'application/link-format'],
      [42, 'application/octet-stream'],
      [60, 'application/cbor'],
      [110, 'application/senml+json'],
      [112, 'application/senml+cbor'],
      [11542, 'application/vnd.oma.lwm2m+tlv'],
      [11543, 'application/vnd.oma.lwm2m+json'],
      [11544, 'application/vnd.oma.lwm2m+cbor'],
    ]);
    expect(Object.values(CONTENT_FORMAT)).toEqual(CONTENT_FORMATS.map((f) => f.contentFormat));
    expect(contentFormatName(112)).toBe('SenML CBOR (112)');
    expect(contentFormatName(9999)).toBe('content format 9999');
  });

  it('maps the pre-registration numbers of LwM2M 1.0 drafts to the registered ones', () => {
    expect(canonicalContentFormat(1541)).toBe(0);
    expect(canonicalContentFormat(1542)).toBe(11542);
    expect(canonicalContentFormat(1543)).toBe(11543);
    expect(canonicalContentFormat(112)).toBe(112);
    expect(contentFormatInfo(1542)?.name).toBe('LwM2M TLV');
    expect(codecFor(1542)?.contentFormat).toBe(11542);
    expect(codecFor(1541)?.contentFormat).toBe(0);
  });

  it('says which formats a client of each version may send', () => {
    expect(formatsForVersion('1.0')).toEqual([
      { contentFormat: 0, support: 'mandatory' },
      { contentFormat: 40, support: 'mandatory' },
      { contentFormat: 42, support: 'mandatory' },
      { contentFormat: 11542, support: 'mandatory' },
      { contentFormat: 11543, support: 'optional' },
    ]);
    const v11 = new Map(formatsForVersion('1.1').map((f) => [f.contentFormat, f.support]));
    expect(v11.get(110)).toBe('recommended');
    expect(v11.get(11542)).toBe('legacy');
    expect(v11.has(11544)).toBe(false);
    expect(new Map(formatsForVersion('1.2').map((f) => [f.contentFormat, f.support])).get(11544)).toBe('optional');
  });

  it('has a codec for every value format except LwM2M JSON, and none for links', () => {
    for (const f of CONTENT_FORMATS) {
      const expected = f.carries !== 'links' && f.contentFormat !== 11543;
      expect([f.contentFormat, codecFor(f.contentFormat) !== undefined]).toEqual([f.contentFormat, expected]);
    }
  });
});
