import { describe, expect, it } from 'vitest';
import { ThingName } from '../../events/catalog/common.ts';
import { DeviceProvisioned } from '../../events/catalog/deviceLifecycle.ts';
import { checkRow, reservedFieldFor, RESERVED_FIELDS, type RowProblem } from '../../schemas/manifest/index.ts';

const base = { serial: 'SN-0001', tenant: 'acme-city', latitude: '52.52', longitude: '13.405' };

const problems = (overrides: Record<string, unknown>): RowProblem[] => {
  const check = checkRow({ ...base, ...overrides });
  if (check.ok) throw new Error(`expected problems, got ${JSON.stringify(check.row)}`);
  for (const p of check.problems) {
    expect(p.message.length).toBeGreaterThan(5);
    expect(p.hint.length).toBeGreaterThan(5);
  }
  return check.problems;
};

const only = (overrides: Record<string, unknown>): RowProblem => {
  const found = problems(overrides);
  expect(found, JSON.stringify(found)).toHaveLength(1);
  return found[0]!;
};

/** The problem has these exact properties, and `key` contains `needle`. */
const expectProblem = (p: RowProblem, exact: Partial<RowProblem>, key: 'message' | 'hint', needle: string): void => {
  expect(p).toMatchObject(exact);
  expect(p[key]).toContain(needle);
};

const valid = (overrides: Record<string, unknown>) => {
  const check = checkRow({ ...base, ...overrides });
  if (!check.ok) throw new Error(JSON.stringify(check.problems));
  return check.row;
};

describe('ManifestRow: a valid row', () => {
  it('normalises text to typed values and fits the DeviceProvisioned event', () => {
    const row = valid({ serial: ' SN-0001 ', latitude: ' -33.8688 ', longitude: '+151.2093', attributes: { floor: 3, lit: true, model: ' ZX-200 ' } });
    expect(row).toEqual({ serial: 'SN-0001', tenant: 'acme-city', latitude: -33.8688, longitude: 151.2093, attributes: { floor: '3', lit: 'true', model: 'ZX-200' } });
    const event = DeviceProvisioned.schema.safeParse({
      thingName: row.serial,
      tenant: row.tenant,
      location: { latitude: row.latitude, longitude: row.longitude },
      attributes: row.attributes,
      certificateId: 'c-1',
    });
    expect(event.success).toBe(true);
  });

  it('takes numbers for coordinates, and the boundaries', () => {
    expect(valid({ latitude: 90, longitude: -180 })).toMatchObject({ latitude: 90, longitude: -180 });
    expect(valid({ latitude: '-90', longitude: '180.0' })).toMatchObject({ latitude: -90, longitude: 180 });
    expect(valid({ latitude: '.5', longitude: '7.' })).toMatchObject({ latitude: 0.5, longitude: 7 });
  });

  it('keeps optional fields and leaves attributes empty when there are none', () => {
    expect(
      valid({ thingGroup: 'street-lights', deviceType: 'lwm2m:lamp_v2', pskIdentity: 'SN-0001', pskKey: '000102030405060708090A0B0C0D0E0F' }),
    ).toMatchObject({ attributes: {}, thingGroup: 'street-lights', deviceType: 'lwm2m:lamp_v2', pskIdentity: 'SN-0001' });
  });
});

describe('ManifestRow: serial (the AWS IoT thing name)', () => {
  it.each([['a'], ['A:b_c-1'], ['x'.repeat(128)]])('accepts %s', (serial) => {
    expect(valid({ serial }).serial).toBe(serial);
  });

  it('refuses a serial longer than 128 characters', () => {
    expectProblem(only({ serial: 'x'.repeat(129) }), { field: 'serial' }, 'message', '129 characters');
  });

  it('names the characters a thing name cannot hold', () => {
    const p = only({ serial: 'SN 0001/ä' });
    expect(p.field).toBe('serial');
    expect(p.message).toContain('space');
    expect(p.message).toContain('"/"');
    expect(p.message).toContain('"ä"');
  });

  it('agrees with the domain ThingName on what it accepts', () => {
    for (const serial of ['ok', 'a.b', 'a b', 'x'.repeat(128), 'x'.repeat(129), 'é', 'a:b', '#']) {
      expect(checkRow({ ...base, serial }).ok, serial).toBe(ThingName.safeParse(serial).success);
    }
  });

  it('says a missing serial is missing, and a number is not text', () => {
    expect(only({ serial: undefined })).toMatchObject({ field: 'serial', message: 'serial is missing.' });
    expect(only({ serial: 1234 })).toMatchObject({ field: 'serial', message: 'serial must be text, not a number.' });
  });
});

describe('ManifestRow: tenant', () => {
  it.each([['a'], ['acme-city'], ['a1'], ['x'.repeat(64)]])('accepts %s', (tenant) => {
    expect(valid({ tenant }).tenant).toBe(tenant);
  });

  it.each([
    ['Acme City', '"acme-city"'],
    ['ACME', '"acme"'],
    ['-acme', '"acme"'],
    ['acme_city', '"acme-city"'],
  ])('refuses %s and suggests %s', (tenant, suggestion) => {
    const p = only({ tenant });
    expect(p.field).toBe('tenant');
    expect(p.hint).toContain(suggestion);
  });

  it('refuses more than 64 characters and a missing tenant', () => {
    expect(only({ tenant: 'x'.repeat(65) }).message).toContain('65 characters');
    expect(only({ tenant: undefined })).toMatchObject({ field: 'tenant', message: 'tenant is missing.' });
  });
});

describe('ManifestRow: latitude and longitude', () => {
  it.each([
    ['', 'is empty'],
    ['   ', 'is empty'],
    ['NaN', 'is not a number'],
    ['Infinity', 'is not a number'],
    ['abc', 'is not a number'],
    ['1.2.3', 'is not a number'],
    ['0x10', 'is not a number'],
  ])('refuses latitude %j (%s)', (latitude, says) => {
    const p = only({ latitude });
    expect(p.field).toBe('latitude');
    expect(p.message).toContain(says);
  });

  it('refuses "1e400" and other exponent notation with a hint to write plain decimals', () => {
    for (const latitude of ['1e400', '5E1', '1e-3']) {
      const p = only({ latitude });
      expect(p.message).toContain('exponent');
      expect(p.hint).toContain('plain decimal');
    }
  });

  it('refuses a decimal comma and offers the dotted number', () => {
    expect(only({ longitude: '13,405' })).toMatchObject({ field: 'longitude', hint: 'Use a dot: "13.405".' });
  });

  it('explains degrees-minutes-seconds and compass letters', () => {
    expect(only({ latitude: '52°31\'N' }).hint).toContain('decimal degrees');
    expect(only({ longitude: '13.4E' }).message).toContain('compass');
  });

  it('refuses values out of range, hinting at swapped coordinates for latitude', () => {
    expectProblem(only({ latitude: '90.0001' }), { field: 'latitude' }, 'hint', 'swapped');
    expect(only({ latitude: -91 }).message).toContain('outside -90 to 90');
    expect(only({ longitude: '180.5' }).message).toContain('outside -180 to 180');
  });

  it('refuses non-finite numbers, overlong text and non-numbers', () => {
    expect(only({ latitude: Number.POSITIVE_INFINITY }).message).toContain('not a finite number');
    expect(only({ latitude: Number.NaN }).message).toContain('not a finite number');
    expect(only({ latitude: `1.${'0'.repeat(40)}` }).message).toContain('at most 32');
    expect(only({ latitude: true }).message).toBe('latitude must be a number, not a boolean.');
    expectProblem(only({ longitude: undefined }), { message: 'longitude is missing.' }, 'hint', 'decimal degrees');
  });
});

describe('ManifestRow: attributes (AWS IoT thing attributes)', () => {
  it('accepts names of letters, digits, "_", "." and "-" up to 64, and the AWS value characters', () => {
    const name = `a.b-c_${'d'.repeat(58)}`;
    expect(valid({ attributes: { [name]: 'x_.,@/:#=[]-9' } }).attributes).toEqual({ [name]: 'x_.,@/:#=[]-9' });
  });

  it.each([['bad name'], ['a/b'], ['x'.repeat(65)], ['__proto__']])('refuses the attribute name %j', (name) => {
    const found = problems({ attributes: JSON.parse(JSON.stringify({ [name]: '1' })) as Record<string, unknown> });
    expect(found.some((p) => p.message.includes('attribute name'))).toBe(true);
  });

  it('refuses values longer than 800 characters and accepts exactly 800', () => {
    expect(valid({ attributes: { note: 'x'.repeat(800) } }).attributes.note).toHaveLength(800);
    expectProblem(only({ attributes: { note: 'x'.repeat(801) } }), { field: 'note' }, 'message', '801 characters');
  });

  it('refuses characters AWS does not store, with a hint to replace spaces', () => {
    const p = only({ attributes: { street: 'Main St 5' } });
    expectProblem(p, { field: 'street' }, 'message', 'space');
    expect(p.hint).toContain('replace spaces');
  });

  it('refuses objects, nulls in the schema and non-finite numbers as values', () => {
    expect(only({ attributes: { a: { b: 1 } } }).field).toBe('a');
    expect(only({ attributes: { a: Number.POSITIVE_INFINITY } }).message).toContain('finite');
    expect(only({ attributes: ['x'] }).message).toContain('must be an object');
  });

  it('refuses two names that differ only in letter case', () => {
    expect(only({ attributes: { Floor: '1', floor: '2' } }).message).toContain('differ only in letter case');
  });

  it('allows 3 attributes without a deviceType and refuses a 4th, naming the deviceType fix', () => {
    expect(valid({ attributes: { a: '1', b: '2', c: '3' } }).attributes).toEqual({ a: '1', b: '2', c: '3' });
    const p = only({ attributes: { a: '1', b: '2', c: '3', d: '4' } });
    expect(p.field).toBe('attributes');
    expect(p.message).toContain('no deviceType');
    expect(p.hint).toContain('deviceType');
  });

  it('allows 50 attributes with a deviceType and refuses 51', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, String(i)]));
    expect(Object.keys(valid({ deviceType: 'lamp', attributes: many(50) }).attributes)).toHaveLength(50);
    expect(only({ deviceType: 'lamp', attributes: many(51) }).message).toContain('at most 50');
  });

  it('counts a bad attribute towards the 3-attribute rule, so both problems show at once', () => {
    const found = problems({ attributes: { a: '1', b: '2', c: '3', 'd e': '4' } });
    expect(found.map((p) => p.field).sort()).toEqual(['attributes', 'd e']);
  });
});

describe('ManifestRow: thingGroup and deviceType (AWS names)', () => {
  it.each([['thingGroup'], ['deviceType']])('%s follows the AWS name rules', (field) => {
    expect(valid({ [field]: 'a:b_c-1' })).toMatchObject({ [field]: 'a:b_c-1' });
    expectProblem(only({ [field]: 'street lights' }), { field }, 'message', 'space');
    expect(only({ [field]: 'x'.repeat(129) }).message).toContain('129 characters');
    expect(only({ [field]: 'a.b' }).message).toContain('"."');
  });
});

describe('ManifestRow: pskIdentity and pskKey', () => {
  const identity = 'SN-0001';
  it.each([
    ['0x000102030405060708090a0b0c0d0e0f', 'starts with "0x"'],
    ['zz0102030405060708090a0b0c0d0e0f', 'not hexadecimal'],
    ['000102030405060708090a0b0c0d0e0', 'odd number'],
    ['000102030405060708090a0b0c0d0e', '15 bytes'],
    ['00'.repeat(65), '65 bytes'],
  ])('refuses the key %s (%s) without echoing it', (pskKey, says) => {
    const p = only({ pskIdentity: identity, pskKey });
    expect(p.field).toBe('pskKey');
    expect(p.message).toContain(says);
    expect(p.message).not.toContain(pskKey.slice(2, 12));
  });

  it('accepts 16 and 64 byte keys', () => {
    expect(valid({ pskIdentity: identity, pskKey: 'ab'.repeat(16) }).pskKey).toBe('ab'.repeat(16));
    expect(valid({ pskIdentity: identity, pskKey: 'AB'.repeat(64) }).pskKey).toBe('AB'.repeat(64));
  });

  it('refuses identities with spaces, control characters or over 128 characters', () => {
    for (const pskIdentity of ['a b', 'a\u0001', 'x'.repeat(129), 'é']) {
      expect(only({ pskIdentity, pskKey: 'ab'.repeat(16) }).field).toBe('pskIdentity');
    }
  });

  it('wants both or neither', () => {
    expect(only({ pskIdentity: identity })).toMatchObject({ field: 'pskKey', message: 'pskIdentity is set but pskKey is not.' });
    expect(only({ pskKey: 'ab'.repeat(16) })).toMatchObject({ field: 'pskIdentity' });
  });
});

describe('ManifestRow: reserved names', () => {
  it('matches reserved names ignoring case and surrounding space', () => {
    expect(reservedFieldFor(' SERIAL ')).toBe('serial');
    expect(reservedFieldFor('thinggroup')).toBe('thingGroup');
    expect(reservedFieldFor('PSKKEY')).toBe('pskKey');
    expect(reservedFieldFor('floor')).toBeUndefined();
    expect(RESERVED_FIELDS).toHaveLength(8);
  });

  it('names an unknown field in an object row and says where attributes go', () => {
    expectProblem(only({ floor: '3' }), { field: 'floor' }, 'hint', '"attributes"');
  });

  it('lists every problem of a row at once', () => {
    const found = problems({ serial: 'a b', tenant: 'A B', latitude: '1,5', longitude: '200', pskIdentity: 'x' });
    expect(found.map((p) => p.field).sort()).toEqual(['latitude', 'longitude', 'pskKey', 'serial', 'tenant']);
  });
});
