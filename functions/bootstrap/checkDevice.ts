import type { EventStore } from '../eventStore/eventStore.ts';
import { readDeviceRecord } from '../provisioning/deviceRecord.ts';
import type { DeviceRegistry } from '../registry/deviceRegistry.ts';
import { decideBootstrap, type BootstrapPolicy } from './bootstrapDecision.ts';
import { BootstrapInput, parseTaskInput } from './bootstrapInput.ts';

export interface CheckDeviceDeps extends BootstrapPolicy {
  readonly eventStore: EventStore;
  readonly registry: Pick<DeviceRegistry, 'certificateStatus'>;
}

export const CheckDeviceInput = BootstrapInput.pick({ thingName: true, transport: true });

/** Nulls rather than absent fields: a JSONPath to a missing field fails the state on Step Functions. */
export interface CheckedDevice {
  readonly decision: 'deliver' | 'reject';
  readonly reason: string | null;
  /** The device has a stream: a refusal goes there, not to the endpoint's stream. */
  readonly known: boolean;
  /** The certificate the stored credentials must hold (deliver only). */
  readonly certificateId: string | null;
}

/**
 * CheckDevice: is the device provisioned and active, and may this request have its credentials?
 * The device's own stream answers (never behind, unlike a projection), then the registry for its
 * certificate. The answer is a decision, not an error: a refusal is a normal end of the workflow.
 */
export const checkDevice =
  (deps: CheckDeviceDeps) =>
  async (input: unknown): Promise<CheckedDevice> => {
    const { thingName, transport } = parseTaskInput(CheckDeviceInput, input, 'CheckDevice');
    const { row } = await readDeviceRecord(deps.eventStore, thingName);
    const facts = { status: row?.status };
    const first = decideBootstrap(facts, transport, deps);
    const known = row !== undefined;
    if (first.decision === 'reject') return { decision: 'reject', reason: first.reason, known, certificateId: null };
    // Only a device that would otherwise get credentials costs a registry call.
    const certificateId = row?.certificateId;
    const status = certificateId === undefined ? undefined : await deps.registry.certificateStatus(certificateId);
    const certificateActive = status?.status === 'ACTIVE' && status.thingNames.includes(thingName);
    const final = decideBootstrap({ ...facts, certificateActive }, transport, deps);
    if (final.decision === 'reject' || certificateId === undefined) {
      return { decision: 'reject', reason: final.decision === 'reject' ? final.reason : 'not-active', known, certificateId: null };
    }
    return { decision: 'deliver', reason: null, known, certificateId };
  };
