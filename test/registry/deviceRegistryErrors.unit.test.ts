import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CertificateStateException,
  DeleteConflictException,
  InvalidRequestException,
  LimitExceededException,
  redactPem,
  RegistryError,
  REGISTRY_ERROR_NAMES,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ThrottlingException,
} from '../../functions/registry/deviceRegistry.ts';
import { fromAwsError } from '../../functions/registry/registryAwsErrors.ts';
import { checkAttributes, checkPolicyDocument, samePolicy } from '../../functions/registry/registryValidation.ts';
import { devicePolicy } from '../../functions/registry/devicePolicy.ts';

const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
const pkcs8 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

describe('registry errors', () => {
  it('carry AWS names, so ASL Retry/Catch match them, and say whether a retry can help', () => {
    const made = [
      new ThrottlingException('t'),
      new ResourceNotFoundException('n'),
      new ResourceAlreadyExistsException('a'),
      new InvalidRequestException('i'),
      new LimitExceededException('l'),
      new DeleteConflictException('d'),
      new CertificateStateException('c'),
    ];
    expect(made.map((e) => e.name)).toEqual([...REGISTRY_ERROR_NAMES]);
    for (const error of made) expect(error).toBeInstanceOf(RegistryError);
    expect(made.filter((e) => e.retryable).map((e) => e.name)).toEqual(['ThrottlingException', 'DeleteConflictException']);
    expect(new RegistryError('x', { name: 'UnauthorizedException' }).name).toBe('UnauthorizedException');
  });

  it('redact every PEM block, armoured or cut off, and long base64 runs', () => {
    const text = `a ${ecKey.trim()} b ${pkcs8.trim()} c -----BEGIN CERTIFICATE-----\nMIIB${'A'.repeat(70)}`;
    const redacted = redactPem(text);
    expect(redacted).toBe('a [ec private key redacted] b [private key redacted] c [certificate redacted]');
    const bare = pkcs8.split('\n').slice(1, -2).join('');
    expect(redactPem(`key=${bare}`)).toBe('key=[base64 redacted]');
    // Identifiers stay readable: a certificate id is 64 hex characters, an ARN is short.
    const id = 'ab'.repeat(32);
    expect(redactPem(`certificate ${id} arn:aws:iot:eu-west-1:123456789012:cert/${id}`)).toBe(`certificate ${id} arn:aws:iot:eu-west-1:123456789012:cert/${id}`);
    expect(new InvalidRequestException(`bad ${ecKey.trim()}`).message).toBe('bad [ec private key redacted]');
  });

  it('from AWS keep name, request id and fault side, and never the SDK error itself', () => {
    const sdk = Object.assign(new Error('Thing x cannot be found.'), {
      name: 'ResourceNotFoundException',
      $fault: 'client',
      $metadata: { requestId: 'r-1' },
      $response: { body: 'raw' },
    });
    const mapped = fromAwsError(sdk, { action: 'DescribeThing', subject: 'thing x', whenNotFound: 'create it first' });
    expect(mapped).toBeInstanceOf(ResourceNotFoundException);
    expect(mapped).toMatchObject({ requestId: 'r-1', retryable: false, message: 'AWS IoT DescribeThing for thing x failed with ResourceNotFoundException: Thing x cannot be found.; create it first' });
    expect(Object.keys(mapped)).not.toContain('$response');
    expect(fromAwsError(Object.assign(new Error('boom'), { name: 'InternalFailureException', $fault: 'server' }), { action: 'A', subject: 's' })).toMatchObject({
      name: 'InternalFailureException',
      retryable: true,
    });
    expect(fromAwsError(Object.assign(new Error('bad'), { name: 'MalformedPolicyException', $fault: 'client' }), { action: 'A', subject: 's' })).toMatchObject({
      name: 'MalformedPolicyException',
      retryable: false,
    });
    expect(fromAwsError(new Error('plain'), { action: 'A', subject: 's' })).toMatchObject({ name: 'RegistryError', retryable: true });
    expect(fromAwsError('not even an error', { action: 'A', subject: 's' }).message).toMatch(/not even an error/);
  });
});

describe('registry input rules', () => {
  it('refuse attribute names a JavaScript object would take as its prototype', () => {
    expect(() => checkAttributes(JSON.parse('{"__proto__": "x"}'), undefined)).toThrow(/__proto__/);
    expect(() => checkAttributes({ n: 1 as unknown as string }, undefined)).toThrow(/is a number, not text/);
    expect(() => checkAttributes(['a'], undefined)).toThrow(/must be an object/);
    expect(checkAttributes({ 'serial/no:#1': 'a=b[0],c@d' }, undefined)).toEqual({ 'serial/no:#1': 'a=b[0],c@d' });
  });

  it('compare policy documents by meaning, and hold them to AWS IoT\'s 2048 characters', () => {
    const doc = devicePolicy();
    expect(samePolicy(doc, JSON.parse(JSON.stringify({ Statement: doc.Statement, Version: doc.Version }, null, 2)))).toBe(true);
    expect(samePolicy(doc, { ...doc, Statement: doc.Statement.slice(1) })).toBe(false);
    expect(checkPolicyDocument(doc).text.replace(/\s/g, '').length).toBeLessThanOrEqual(2048);
    const big = { ...doc, Statement: Array.from({ length: 12 }, () => doc.Statement[1]!) };
    expect(() => checkPolicyDocument(big)).toThrow(/characters without white space; AWS IoT allows 2048/);
  });
});
