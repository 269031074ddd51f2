import { SenmlError } from './errors.ts';

/** RFC 8428 section 5: vd is base64url (RFC 4648 section 5) with padding omitted. */
export const toBase64Url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

// Accepts the RFC form, and also '=' padding and the standard '+' '/' alphabet: both are
// unambiguous, and LwM2M stacks (Wakaama) and libraries (silkeh/senml) send them. See README.
const BASE64 = /^(?:[A-Za-z0-9\-_+/]{4})*(?:[A-Za-z0-9\-_+/]{2}(?:==)?|[A-Za-z0-9\-_+/]{3}=?)?$/;

export const fromBase64Url = (text: string, record: number): Uint8Array => {
  if (!BASE64.test(text)) {
    throw new SenmlError('bad-type', 'vd is not base64url: use the alphabet A-Z a-z 0-9 - _ without padding (RFC 8428 section 5)', record);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
};
