import { describe, expect, it } from 'vitest';
import {
  answerReserveMs,
  MAX_RESPONSE_BYTES,
  responseBody,
  responseUrlOf,
  UnanswerableRequestError,
  withoutPrivateKeys,
  type CustomResourceResponse,
} from '../../functions/lambda/customResourceResponse.ts';

const base: CustomResourceResponse = {
  Status: 'FAILED',
  Reason: 'short',
  PhysicalResourceId: 'bridge-identities',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/fleet/5b9e3a40-0000-11f0-9a1b-0a1b2c3d4e5f',
  RequestId: 'b5c6e0a1-7f0d-4c51-9a3e-3c1d2e4f5a6b',
  LogicalResourceId: 'BridgeIdentities',
  Data: { Total: 3, Created: 1, Unchanged: 2 },
};

const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';

describe('custom resource response body', () => {
  it('is the documented JSON object, unchanged when it fits', () => {
    expect(JSON.parse(responseBody(base))).toEqual(base);
  });

  it('stays within 4096 bytes by shortening the Reason, keeping its start and the Data', () => {
    const long = { ...base, Reason: `Bridge identity aws-7 failed at issue-identity: ${'é'.repeat(5000)}` };
    const text = responseBody(long);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    const parsed = JSON.parse(text) as CustomResourceResponse;
    expect(parsed.Reason).toMatch(/^Bridge identity aws-7 failed at issue-identity: é+… \(shortened: the log has it all\)$/);
    expect(parsed.Data).toEqual(base.Data);
    expect({ ...parsed, Reason: '' }).toEqual({ ...base, Reason: '' });
  });

  it('drops Data, saying so, when the Data alone is too large', () => {
    const data = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`Field${i}`, 'x'.repeat(20)]));
    const text = responseBody({ ...base, Data: data });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    const parsed = JSON.parse(text) as CustomResourceResponse;
    expect(parsed.Data).toBeUndefined();
    expect(parsed.Reason).toBe('short (Data left out: too large for a response)');
  });

  it('never carries a private key, even one quoted in an error message', () => {
    const text = responseBody({ ...base, Reason: `could not parse ${KEY} as JSON` });
    expect(text).not.toMatch(/PRIVATE KEY|MIGHAgEAMBMG/);
    expect((JSON.parse(text) as CustomResourceResponse).Reason).toBe('could not parse [private key removed] as JSON');
    // A key cut off before its END line is removed to the end of the text.
    expect(withoutPrivateKeys('x -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE')).toBe('x [private key removed]');
  });
});

describe('where the answer goes', () => {
  it('takes https URLs as they are, query string (the presigned signature) included', () => {
    const url = responseUrlOf({ ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/arn%3Aaws/abc?X-Amz-Signature=f00d' });
    expect(url.pathname + url.search).toBe('/arn%3Aaws/abc?X-Amz-Signature=f00d');
  });

  it('takes plain http only to a loopback stand-in', () => {
    expect(responseUrlOf({ ResponseURL: 'http://127.0.0.1:4000/x' }).port).toBe('4000');
    expect(() => responseUrlOf({ ResponseURL: 'http://example.com/x' })).toThrow(/uses http: to example.com: only https/);
    expect(() => responseUrlOf({ ResponseURL: 'ftp://127.0.0.1/x' })).toThrow(UnanswerableRequestError);
  });

  it('cannot answer a request without a usable ResponseURL, and says so', () => {
    for (const event of [undefined, null, 'Create', {}, { ResponseURL: '' }, { ResponseURL: 42 }]) {
      expect(() => responseUrlOf(event)).toThrow(/has no ResponseURL/);
    }
    expect(() => responseUrlOf({ ResponseURL: 'not a url' })).toThrow(/is not a URL/);
  });

  it('keeps a fifth of the remaining time for the answer, between 1 and 10 seconds', () => {
    expect([answerReserveMs(500), answerReserveMs(3_000), answerReserveMs(30_000), answerReserveMs(900_000)]).toEqual([1_000, 1_000, 6_000, 10_000]);
  });
});
