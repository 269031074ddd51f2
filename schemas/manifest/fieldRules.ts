/**
 * The rules one manifest value must meet, each returning what was wrong and what to do, so the
 * zod schema (manifestRow.ts) and the CSV header check (csvHeader.ts) speak with one voice.
 * Sources: AWS IoT API reference (CreateThing, AttributePayload, CreateThingGroup,
 * CreateThingType) and the AWS IoT thing-types page (attribute counts).
 */

export interface Finding {
  readonly message: string;
  readonly hint: string;
}

/** AWS IoT thing, thing group and thing type names: 1-128 of [a-zA-Z0-9:_-]. */
export const AWS_NAME_MAX = 128;
const AWS_NAME_CHAR = /[a-zA-Z0-9:_-]/;

/** Attribute names: stricter than AWS (which also allows , @ / : #) so they stay plain column headers and search keys. */
export const ATTRIBUTE_NAME_MAX = 64;
const ATTRIBUTE_NAME_CHAR = /[a-zA-Z0-9_.-]/;

/** AWS AttributePayload value pattern [a-zA-Z0-9_.,@/:#=\[\]-]*, at most 800 characters. */
export const ATTRIBUTE_VALUE_MAX = 800;
const ATTRIBUTE_VALUE_CHAR = /[a-zA-Z0-9_.,@/:#=[\]-]/;

/** AWS IoT: a thing with a thing type holds up to 50 attributes, one without a type up to 3. */
export const MAX_ATTRIBUTES = 50;
export const MAX_ATTRIBUTES_WITHOUT_TYPE = 3;

export const TENANT_MAX = 64;
const TENANT = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** RFC 4279 wants PSKs of up to 64 bytes supported; under 16 bytes (128 bits) is too weak to issue. */
export const PSK_KEY_MIN_BYTES = 16;
export const PSK_KEY_MAX_BYTES = 64;
export const PSK_IDENTITY_MAX = 128;

/** Longest coordinate text accepted: more digits than this carry no meaning (1e-20 degrees). */
export const COORDINATE_TEXT_MAX = 32;

/** A value as it may be quoted back in a message: short, and never a secret. */
export const shown = (value: string): string =>
  JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);

const describeChar = (c: string): string =>
  c === ' ' ? 'space' : c === '\t' ? 'tab' : c === '\n' || c === '\r' ? 'line break' : JSON.stringify(c);

/** The distinct characters of value outside the allowed class, described for people. */
export const offendingChars = (value: string, allowed: RegExp): string => {
  const bad = [...new Set([...value].filter((c) => !allowed.test(c)))];
  const listed = bad.slice(0, 5).map(describeChar).join(', ');
  return bad.length > 5 ? `${listed} and ${bad.length - 5} more` : listed;
};

export const checkAwsName = (label: string, value: string, purpose: string): Finding | undefined => {
  if (value.length === 0) return { message: `${label} is empty.`, hint: `Fill in ${label} or leave the field out.` };
  if (value.length > AWS_NAME_MAX) {
    return {
      message: `${label} is ${value.length} characters long; ${purpose} holds at most ${AWS_NAME_MAX}.`,
      hint: `Shorten ${label} to ${AWS_NAME_MAX} characters or fewer.`,
    };
  }
  if (![...value].every((c) => AWS_NAME_CHAR.test(c))) {
    return {
      message: `${label} ${shown(value)} has characters ${purpose} cannot hold: ${offendingChars(value, AWS_NAME_CHAR)}.`,
      hint: 'Use only letters A-Z and a-z, digits, ":", "_" and "-" (replace spaces with "-").',
    };
  }
  return undefined;
};

export const checkTenant = (value: string): Finding | undefined => {
  if (value.length === 0) return { message: 'tenant is empty.', hint: 'Fill in the tenant the device belongs to, e.g. "acme-city".' };
  if (value.length > TENANT_MAX) {
    return { message: `tenant is ${value.length} characters long; at most ${TENANT_MAX} are allowed.`, hint: 'Use the short tenant id, not its display name.' };
  }
  if (TENANT.test(value)) return undefined;
  const slug = value.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const example = slug.length > 0 && slug.length <= TENANT_MAX ? shown(slug) : '"acme-city"';
  return {
    message: `tenant ${shown(value)} is not a tenant id: it must be lowercase letters, digits and "-", starting and ending with a letter or digit.`,
    hint: `Write the tenant id, e.g. ${example}.`,
  };
};

export const checkAttributeName = (name: string): Finding | undefined => {
  if (name.length === 0) return { message: 'an attribute has an empty name.', hint: 'Give every attribute column a name.' };
  // JavaScript objects treat this key as their prototype: the value would vanish without a trace.
  if (name === '__proto__') return { message: 'attribute name "__proto__" is not allowed.', hint: 'Name the attribute something else.' };
  if (name.length > ATTRIBUTE_NAME_MAX) {
    return {
      message: `attribute name ${shown(name)} is ${name.length} characters long; at most ${ATTRIBUTE_NAME_MAX} are allowed.`,
      hint: 'Shorten the attribute name.',
    };
  }
  if (![...name].every((c) => ATTRIBUTE_NAME_CHAR.test(c))) {
    return {
      message: `attribute name ${shown(name)} has characters an attribute name cannot hold: ${offendingChars(name, ATTRIBUTE_NAME_CHAR)}.`,
      hint: 'Use only letters, digits, "_", "." and "-" in attribute names (e.g. "install_date").',
    };
  }
  return undefined;
};

export const checkAttributeValue = (name: string, value: string): Finding | undefined => {
  if (value.length > ATTRIBUTE_VALUE_MAX) {
    return {
      message: `attribute ${name} is ${value.length} characters long; AWS IoT attribute values hold at most ${ATTRIBUTE_VALUE_MAX}.`,
      hint: `Shorten the value to ${ATTRIBUTE_VALUE_MAX} characters or fewer.`,
    };
  }
  if (![...value].every((c) => ATTRIBUTE_VALUE_CHAR.test(c))) {
    return {
      message: `attribute ${name} value ${shown(value)} has characters AWS IoT attribute values cannot hold: ${offendingChars(value, ATTRIBUTE_VALUE_CHAR)}.`,
      hint: 'Use only letters, digits and _ . , @ / : # = [ ] - (replace spaces with "_" or "-").',
    };
  }
  return undefined;
};

export const checkPskIdentity = (value: string): Finding | undefined => {
  if (value.length === 0 || value.length > PSK_IDENTITY_MAX || !/^[\x21-\x7e]+$/.test(value)) {
    return {
      message: `pskIdentity must be 1 to ${PSK_IDENTITY_MAX} printable ASCII characters without spaces.`,
      hint: 'Use the identity the device sends in its DTLS handshake, usually its LwM2M endpoint name.',
    };
  }
  return undefined;
};

/** Never quotes the value: it is a secret. */
export const checkPskKey = (value: string): Finding | undefined => {
  const hint = `Write the key as ${PSK_KEY_MIN_BYTES * 2} to ${PSK_KEY_MAX_BYTES * 2} hex digits (${PSK_KEY_MIN_BYTES} to ${PSK_KEY_MAX_BYTES} bytes), without "0x" or spaces.`;
  if (/^0x/i.test(value)) return { message: 'pskKey starts with "0x".', hint };
  if (!/^[0-9a-fA-F]*$/.test(value)) return { message: 'pskKey is not hexadecimal.', hint };
  if (value.length % 2 !== 0) return { message: `pskKey has an odd number of hex digits (${value.length}).`, hint };
  const bytes = value.length / 2;
  if (bytes < PSK_KEY_MIN_BYTES || bytes > PSK_KEY_MAX_BYTES) {
    return { message: `pskKey is ${bytes} bytes long; ${PSK_KEY_MIN_BYTES} to ${PSK_KEY_MAX_BYTES} are allowed.`, hint };
  }
  return undefined;
};

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * A coordinate from a number or from text in plain decimal notation. Text is held to plain
 * decimals on purpose: "1e400" is Infinity, "52,52" is a locale's decimal comma, "52°31'N" is
 * degrees-minutes-seconds; each gets a hint instead of a silent guess.
 */
export const readCoordinate = (label: string, input: number | string, bound: number): { value: number } | Finding => {
  const example = label === 'latitude' ? '52.5200' : '13.4050';
  let value: number;
  if (typeof input === 'number') {
    value = input;
    if (!Number.isFinite(value)) return { message: `${label} is not a finite number.`, hint: `Write ${label} in decimal degrees, e.g. ${example}.` };
  } else {
    const text = input.trim();
    if (text.length === 0) return { message: `${label} is empty.`, hint: `Fill in ${label} in decimal degrees, e.g. ${example}.` };
    if (text.length > COORDINATE_TEXT_MAX) {
      return { message: `${label} has ${text.length} characters; at most ${COORDINATE_TEXT_MAX} are read.`, hint: `Round ${label} to a few decimals, e.g. ${example}.` };
    }
    if (/^[+-]?\d+,\d+$/.test(text)) {
      return { message: `${label} ${shown(text)} uses a comma as the decimal separator.`, hint: `Use a dot: ${shown(text.replace(',', '.'))}.` };
    }
    if (/^[+-]?(?:\d+\.?\d*|\.\d+)e[+-]?\d+$/i.test(text)) {
      return { message: `${label} ${shown(text)} is in exponent notation.`, hint: `Write ${label} as a plain decimal number, e.g. ${example}.` };
    }
    if (/[°'"]/.test(text) || /^[+-]?[\d.]+\s*[NSEWnsew]$/.test(text)) {
      return { message: `${label} ${shown(text)} looks like degrees-minutes-seconds or has a compass letter.`, hint: `Convert to signed decimal degrees (south and west are negative), e.g. ${example}.` };
    }
    if (!DECIMAL.test(text)) return { message: `${label} ${shown(text)} is not a number.`, hint: `Write ${label} in decimal degrees, e.g. ${example}.` };
    value = Number(text);
  }
  if (value < -bound || value > bound) {
    return {
      message: `${label} ${value} is outside -${bound} to ${bound}.`,
      hint: label === 'latitude' ? 'Check that latitude and longitude are not swapped.' : `Write ${label} between -${bound} and ${bound}.`,
    };
  }
  return { value };
};
