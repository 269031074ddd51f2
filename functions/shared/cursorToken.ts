/**
 * The wire form the HTTP API's paging cursors share: a JSON object as base64url, one token that
 * needs no escaping in a query string. Opaque by contract, not secret. This says only how the bytes
 * look; each cursor's owner checks what it decodes against its own schema and says, in its own
 * error, what the caller should send instead.
 */

export const toCursorToken = (payload: Readonly<Record<string, unknown>>): string => Buffer.from(JSON.stringify(payload)).toString('base64url');

/**
 * The JSON value a token holds, or undefined when it holds none. Characters outside base64url are
 * skipped by the decoder rather than refused, so a damaged token usually lands here as bad JSON;
 * a caller that must refuse them checks the alphabet first.
 */
export const fromCursorToken = (token: string): unknown => {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
};
