import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { devicePolicy, DEVICE_POLICY_NAME } from '../../functions/registry/devicePolicy.ts';
import { RegistryError, REGISTRY_ERROR_NAMES, type DeviceRegistry } from '../../functions/registry/deviceRegistry.ts';
import type { PolicyDocument } from '../../functions/registry/policyEvaluator.ts';

/** What an adapter's test file provides: a fresh, empty registry per call, and a cleanup. */
export interface DeviceRegistryFactory {
  create(): Promise<DeviceRegistry>;
  /** Called once after all cases. */
  dispose?(): Promise<void>;
}

/** A thing type every factory's registry knows (on AWS, infra creates thing types). */
export const SUITE_THING_TYPE = 'lwm2m-lamp';

const policyV2 = (): PolicyDocument => {
  const base = devicePolicy();
  return { ...base, Statement: base.Statement.slice(0, 2) };
};

/** Awaits a rejection and checks it is a RegistryError of that AWS name whose message matches. */
const rejects = async (promise: Promise<unknown>, name: string, message?: RegExp): Promise<RegistryError> => {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${name}, but the call succeeded`).toBeInstanceOf(RegistryError);
  const registryError = error as RegistryError;
  expect(registryError.name).toBe(name);
  expect(REGISTRY_ERROR_NAMES as readonly string[]).toContain(registryError.name);
  if (message) expect(registryError.message).toMatch(message);
  return registryError;
};

/** A thing with a certificate attached and the device policy on it: what provisioning leaves. */
const provision = async (registry: DeviceRegistry, thingName: string, group?: string) => {
  await registry.ensureThing({ thingName, attributes: { model: 'ZX-200' } });
  await registry.ensurePolicy(DEVICE_POLICY_NAME, devicePolicy());
  const certificate = await registry.createKeysAndCertificate({ thingName });
  await registry.attachPolicy(DEVICE_POLICY_NAME, certificate.certificateId);
  await registry.attachThingPrincipal(thingName, certificate.certificateId);
  if (group) {
    await registry.ensureThingGroup(group);
    await registry.addThingToGroup(thingName, group);
  }
  return certificate;
};

/**
 * The one device registry conformance suite (STYLE.md 9): every adapter runs exactly these cases.
 */
export const testDeviceRegistry = (adapter: string, factory: DeviceRegistryFactory) => {
  describe(`DeviceRegistry conformance: ${adapter}`, () => {
    afterAll(async () => {
      await factory.dispose?.();
    });

    it('ensureThing creates, then reports unchanged, then updates attributes to exactly the ones given', async () => {
      const registry = await factory.create();
      expect(await registry.ensureThing({ thingName: 'SN-0001', attributes: { model: 'ZX-200', floor: '3' } })).toEqual({ outcome: 'created' });
      expect(await registry.ensureThing({ thingName: 'SN-0001', attributes: { floor: '3', model: 'ZX-200' } })).toEqual({ outcome: 'unchanged' });
      expect(await registry.describeThing('SN-0001')).toEqual({
        thingName: 'SN-0001',
        thingType: undefined,
        attributes: { floor: '3', model: 'ZX-200' },
        groups: [],
        principals: [],
      });
      // floor removed, model changed, install_date added: the stored set becomes exactly the given one.
      expect(await registry.ensureThing({ thingName: 'SN-0001', attributes: { model: 'ZX-300', install_date: '2024-05-01' } })).toEqual({ outcome: 'updated' });
      expect((await registry.describeThing('SN-0001'))?.attributes).toEqual({ install_date: '2024-05-01', model: 'ZX-300' });
      expect(await registry.ensureThing({ thingName: 'SN-0001', attributes: {} })).toEqual({ outcome: 'updated' });
      expect((await registry.describeThing('SN-0001'))?.attributes).toEqual({});
    });

    it('ensureThing with a thing type holds more than three attributes, and changing or dropping the type is an update', async () => {
      const registry = await factory.create();
      const attributes = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`a${String(i).padStart(2, '0')}`, `v${i}`]));
      expect(await registry.ensureThing({ thingName: 'lamp-1', attributes, thingType: SUITE_THING_TYPE })).toEqual({ outcome: 'created' });
      expect(await registry.describeThing('lamp-1')).toMatchObject({ thingType: SUITE_THING_TYPE, attributes });
      expect(await registry.ensureThing({ thingName: 'lamp-1', attributes, thingType: SUITE_THING_TYPE })).toEqual({ outcome: 'unchanged' });
      expect(await registry.ensureThing({ thingName: 'lamp-1', attributes: { a00: 'v0' } })).toEqual({ outcome: 'updated' });
      expect(await registry.describeThing('lamp-1')).toMatchObject({ thingType: undefined, attributes: { a00: 'v0' } });
    });

    it('refuses attributes AWS would refuse, before changing anything', async () => {
      const registry = await factory.create();
      await rejects(registry.ensureThing({ thingName: 'SN-2', attributes: { a: '1', b: '2', c: '3', d: '4' } }), 'InvalidRequestException', /at most 3 attributes.*thing type/);
      await rejects(registry.ensureThing({ thingName: 'SN-2', attributes: { model: 'has space' } }), 'InvalidRequestException', /no spaces/);
      await rejects(registry.ensureThing({ thingName: 'SN-2', attributes: { model: '' } }), 'InvalidRequestException', /leave it out/);
      await rejects(registry.ensureThing({ thingName: 'SN 2', attributes: {} }), 'InvalidRequestException', /thing name "SN 2" is not valid/);
      await rejects(registry.ensureThing({ thingName: 'x'.repeat(129), attributes: {} }), 'InvalidRequestException', /1-128/);
      const attributes = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`a${i}`, 'v']));
      await rejects(registry.ensureThing({ thingName: 'SN-2', attributes, thingType: SUITE_THING_TYPE }), 'InvalidRequestException', /at most 50/);
      expect(await registry.describeThing('SN-2')).toBeUndefined();
    });

    it('ensurePolicy creates, keeps an equal document, and replaces a different one as often as needed', async () => {
      const registry = await factory.create();
      expect(await registry.ensurePolicy(DEVICE_POLICY_NAME, devicePolicy())).toEqual({ outcome: 'created' });
      expect(await registry.ensurePolicy(DEVICE_POLICY_NAME, devicePolicy())).toEqual({ outcome: 'unchanged' });
      // More changes than AWS keeps versions (5): old versions make room.
      for (let i = 0; i < 7; i++) {
        expect(await registry.ensurePolicy(DEVICE_POLICY_NAME, i % 2 === 0 ? policyV2() : devicePolicy())).toEqual({ outcome: 'updated' });
      }
      expect(await registry.ensurePolicy(DEVICE_POLICY_NAME, policyV2())).toEqual({ outcome: 'unchanged' });
      await rejects(registry.ensurePolicy('bad name!', devicePolicy()), 'InvalidRequestException', /policy name/);
      await rejects(registry.ensurePolicy('p', { Version: '2008-10-17' } as unknown as PolicyDocument), 'InvalidRequestException', /2012-10-17/);
    });

    it('createKeysAndCertificate returns a fresh ACTIVE certificate, its key once, attached to nothing', async () => {
      const registry = await factory.create();
      const a = await registry.createKeysAndCertificate({ thingName: 'SN-0001' });
      const b = await registry.createKeysAndCertificate({ thingName: 'SN-0001' });
      expect(a.certificateId).toMatch(/^[0-9a-f]{64}$/);
      expect(a.certificateId).not.toBe(b.certificateId);
      expect(a.certificateArn).toMatch(new RegExp(`^arn:aws:iot:[a-z0-9-]+:\\d{12}:cert/${a.certificateId}$`));
      const x509 = new X509Certificate(a.certificatePem);
      expect(x509.fingerprint256.replaceAll(':', '').toLowerCase()).toBe(a.certificateId);
      expect(x509.checkPrivateKey(createPrivateKey(a.privateKeyPem))).toBe(true);
      expect(await registry.certificateStatus(a.certificateId)).toEqual({ status: 'ACTIVE', thingNames: [] });
      await rejects(registry.createKeysAndCertificate({ thingName: 'no spaces please' }), 'InvalidRequestException');
    });

    it('attaches policy and thing idempotently; describeThing and certificateStatus show the attachment', async () => {
      const registry = await factory.create();
      const certificate = await provision(registry, 'SN-0001');
      await registry.attachPolicy(DEVICE_POLICY_NAME, certificate.certificateId);
      await registry.attachThingPrincipal('SN-0001', certificate.certificateId);
      expect((await registry.describeThing('SN-0001'))?.principals).toEqual([certificate.certificateId]);
      expect(await registry.certificateStatus(certificate.certificateId)).toEqual({ status: 'ACTIVE', thingNames: ['SN-0001'] });
    });

    it('a certificate belongs to one thing', async () => {
      const registry = await factory.create();
      const certificate = await provision(registry, 'SN-A');
      await registry.ensureThing({ thingName: 'SN-B', attributes: {} });
      await rejects(registry.attachThingPrincipal('SN-B', certificate.certificateId), 'InvalidRequestException');
      expect(await registry.certificateStatus(certificate.certificateId)).toEqual({ status: 'ACTIVE', thingNames: ['SN-A'] });
      expect((await registry.describeThing('SN-B'))?.principals).toEqual([]);
    });

    it('says what is missing when an attachment names something that does not exist', async () => {
      const registry = await factory.create();
      const certificate = await registry.createKeysAndCertificate({ thingName: 'SN-1' });
      const unknownId = 'f'.repeat(64);
      await rejects(registry.attachPolicy('no-such-policy', certificate.certificateId), 'ResourceNotFoundException', /no-such-policy/);
      await registry.ensurePolicy(DEVICE_POLICY_NAME, devicePolicy());
      await rejects(registry.attachPolicy(DEVICE_POLICY_NAME, unknownId), 'ResourceNotFoundException', new RegExp(unknownId));
      await rejects(registry.attachThingPrincipal('no-such-thing', certificate.certificateId), 'ResourceNotFoundException', /no-such-thing/);
      await registry.ensureThing({ thingName: 'SN-1', attributes: {} });
      await rejects(registry.attachThingPrincipal('SN-1', unknownId), 'ResourceNotFoundException', new RegExp(unknownId));
      await rejects(registry.addThingToGroup('SN-1', 'no-such-group'), 'ResourceNotFoundException', /no-such-group/);
      await registry.ensureThingGroup('lights');
      await rejects(registry.addThingToGroup('no-such-thing', 'lights'), 'ResourceNotFoundException', /no-such-thing/);
      await rejects(registry.deactivateCertificate(unknownId), 'ResourceNotFoundException', new RegExp(unknownId));
      await rejects(registry.attachPolicy(DEVICE_POLICY_NAME, 'not-an-id'), 'InvalidRequestException', /64-character/);
      expect(await registry.describeThing('no-such-thing')).toBeUndefined();
      expect(await registry.certificateStatus(unknownId)).toBeUndefined();
      await rejects(registry.certificateStatus('ABC'), 'InvalidRequestException', /64-character/);
    });

    it('at most 10 policies on a certificate (LimitExceededException)', async () => {
      const registry = await factory.create();
      const certificate = await registry.createKeysAndCertificate({ thingName: 'SN-1' });
      for (let i = 0; i < 11; i++) await registry.ensurePolicy(`p${i}`, devicePolicy());
      for (let i = 0; i < 10; i++) await registry.attachPolicy(`p${i}`, certificate.certificateId);
      await registry.attachPolicy('p3', certificate.certificateId);
      await rejects(registry.attachPolicy('p10', certificate.certificateId), 'LimitExceededException');
    });

    it('groups: ensure is idempotent, membership is idempotent, describe lists them, removal leaves all', async () => {
      const registry = await factory.create();
      await registry.ensureThing({ thingName: 'SN-1', attributes: {} });
      const names = ['street-lights', 'acme-city', 'zone-4', 'pilot'];
      for (const name of names) {
        expect(await registry.ensureThingGroup(name)).toEqual({ outcome: 'created' });
        expect(await registry.ensureThingGroup(name)).toEqual({ outcome: 'unchanged' });
        await registry.addThingToGroup('SN-1', name);
        await registry.addThingToGroup('SN-1', name);
      }
      expect((await registry.describeThing('SN-1'))?.groups).toEqual([...names].sort());
      expect(await registry.removeThingFromGroups('SN-1')).toEqual({ removedFrom: [...names].sort() });
      expect((await registry.describeThing('SN-1'))?.groups).toEqual([]);
      expect(await registry.removeThingFromGroups('SN-1')).toEqual({ removedFrom: [] });
      expect(await registry.removeThingFromGroups('no-such-thing')).toEqual({ removedFrom: [] });
      await rejects(registry.ensureThingGroup('has space'), 'InvalidRequestException', /thing group name/);
    });

    it('a thing is in at most 10 groups', async () => {
      const registry = await factory.create();
      await registry.ensureThing({ thingName: 'SN-1', attributes: {} });
      for (let i = 0; i < 11; i++) await registry.ensureThingGroup(`g${i}`);
      for (let i = 0; i < 10; i++) await registry.addThingToGroup('SN-1', `g${i}`);
      await rejects(registry.addThingToGroup('SN-1', 'g10'), 'InvalidRequestException');
      expect((await registry.describeThing('SN-1'))?.groups).toHaveLength(10);
    });

    it('deprovisions in order, and every step can run again without failing', async () => {
      const registry = await factory.create();
      const { certificateId } = await provision(registry, 'SN-0001', 'street-lights');
      const steps = async () => {
        await registry.deactivateCertificate(certificateId);
        await registry.detachPolicy(DEVICE_POLICY_NAME, certificateId);
        await registry.detachThingPrincipal('SN-0001', certificateId);
        await registry.deleteCertificate(certificateId);
        await registry.removeThingFromGroups('SN-0001');
        await registry.deleteThing('SN-0001');
      };
      await registry.deactivateCertificate(certificateId);
      expect(await registry.certificateStatus(certificateId)).toEqual({ status: 'REVOKED', thingNames: ['SN-0001'] });
      await registry.detachPolicy(DEVICE_POLICY_NAME, certificateId);
      await registry.detachThingPrincipal('SN-0001', certificateId);
      expect(await registry.certificateStatus(certificateId)).toEqual({ status: 'REVOKED', thingNames: [] });
      await registry.deleteCertificate(certificateId);
      expect(await registry.certificateStatus(certificateId)).toBeUndefined();
      expect(await registry.removeThingFromGroups('SN-0001')).toEqual({ removedFrom: ['street-lights'] });
      await registry.deleteThing('SN-0001');
      expect(await registry.describeThing('SN-0001')).toBeUndefined();
      // A retried workflow runs steps that already happened: only a certificate that is gone cannot be revoked.
      await rejects(steps(), 'ResourceNotFoundException', new RegExp(certificateId));
      await registry.detachPolicy(DEVICE_POLICY_NAME, certificateId);
      await registry.detachThingPrincipal('SN-0001', certificateId);
      await registry.deleteCertificate(certificateId);
      await registry.deleteThing('SN-0001');
      // The group outlives its members, and the policy stays for other devices.
      expect(await registry.ensureThingGroup('street-lights')).toEqual({ outcome: 'unchanged' });
      expect(await registry.ensurePolicy(DEVICE_POLICY_NAME, devicePolicy())).toEqual({ outcome: 'unchanged' });
    });

    it('refuses deletes that would leave something dangling, and says what to do first', async () => {
      const registry = await factory.create();
      const { certificateId } = await provision(registry, 'SN-0001', 'lights');
      await rejects(registry.deleteCertificate(certificateId), 'CertificateStateException', /ACTIVE/);
      await rejects(registry.deleteThing('SN-0001'), 'DeleteConflictException', /detach/i);
      await registry.deactivateCertificate(certificateId);
      await rejects(registry.deleteCertificate(certificateId), 'DeleteConflictException', /detach/i);
      await registry.detachThingPrincipal('SN-0001', certificateId);
      // The policy is still attached: no forceDelete.
      await rejects(registry.deleteCertificate(certificateId), 'DeleteConflictException', /detach/i);
      await registry.detachPolicy(DEVICE_POLICY_NAME, certificateId);
      await registry.deleteCertificate(certificateId);
      // Group memberships go with the thing.
      await registry.deleteThing('SN-0001');
      await registry.ensureThing({ thingName: 'SN-0001', attributes: {} });
      expect((await registry.describeThing('SN-0001'))?.groups).toEqual([]);
    });

    it('REVOKED is final; INACTIVE can still become REVOKED', async () => {
      const registry = await factory.create();
      const a = await registry.createKeysAndCertificate({ thingName: 'SN-1' });
      await registry.deactivateCertificate(a.certificateId, { status: 'INACTIVE' });
      expect((await registry.certificateStatus(a.certificateId))?.status).toBe('INACTIVE');
      await registry.deactivateCertificate(a.certificateId);
      await registry.deactivateCertificate(a.certificateId);
      expect((await registry.certificateStatus(a.certificateId))?.status).toBe('REVOKED');
      await rejects(registry.deactivateCertificate(a.certificateId, { status: 'INACTIVE' }), 'CertificateStateException', /REVOKED|revoked/);
      await rejects(
        registry.deactivateCertificate(a.certificateId, { status: 'ACTIVE' as 'INACTIVE' }),
        'InvalidRequestException',
        /REVOKED \(final\) or INACTIVE/,
      );
      // INACTIVE is enough to delete.
      const b = await registry.createKeysAndCertificate({ thingName: 'SN-1' });
      await registry.deactivateCertificate(b.certificateId, { status: 'INACTIVE' });
      await registry.deleteCertificate(b.certificateId);
      expect(await registry.certificateStatus(b.certificateId)).toBeUndefined();
    });

    it('results are plain JSON, as a workflow step passes them on', async () => {
      const registry = await factory.create();
      const certificate = await provision(registry, 'SN-0001', 'lights');
      const results = [
        certificate,
        await registry.describeThing('SN-0001'),
        await registry.certificateStatus(certificate.certificateId),
        await registry.ensureThing({ thingName: 'SN-0001', attributes: { model: 'ZX-200' } }),
        await registry.removeThingFromGroups('SN-0001'),
      ];
      for (const result of results) expect(JSON.parse(JSON.stringify(result))).toEqual(result);
      expect(Object.keys(certificate).sort()).toEqual(['certificateArn', 'certificateId', 'certificatePem', 'privateKeyPem']);
      expect(JSON.stringify(results.slice(1))).not.toContain('PRIVATE KEY');
    });
  });
};
