import type { AppendRequest } from '../eventStore/eventStore.ts';
import { DEVICE_POLICY_NAME } from '../registry/devicePolicy.ts';
import { streamIdFor } from '../../events/envelope.ts';
import type { DesiredDevice } from './chunkLine.ts';
import {
  failedOutcome,
  failedRequest,
  StepFailed,
  stepRunner,
  usableCertificate,
  type DeviceOutcome,
  type ProvisionDeviceDeps,
} from './provisionDevice.ts';
import { provisioningEvent } from './provisioningEvents.ts';
import { runPool } from './runPool.ts';
import { withThrottleRetry } from './throttleRetry.ts';

/**
 * Runs independent steps of one row side by side and waits for all of them, so nothing is still in
 * flight when the row moves on or drops out. Anything but StepFailed (throttling that outlived its
 * retries) is thrown first; otherwise the first step, in the order given, that failed is the row's.
 */
const together = async (...steps: (() => Promise<unknown>)[]): Promise<void> => {
  const settled = await Promise.allSettled(steps.map((run) => run()));
  // step() rejects with Errors only: StepFailed, or the transient error it let through.
  const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
  const failure = errors.find((error) => !(error instanceof StepFailed)) ?? errors[0];
  if (failure !== undefined) throw failure;
};

interface Row {
  readonly desired: DesiredDevice;
  certificateId?: string;
}

/**
 * A wave of new devices (no stream yet, or deprovisioned), provisioned step by step across the wave
 * rather than row by row: every row does ensureThing and gets its certificate, then every row does
 * attachPolicy, attachThingPrincipal and its group membership, and finally one appendBatch records
 * their DeviceProvisioned events. Each device still takes the same steps, each idempotent, so a
 * retried chunk finishes half-done rows without making anything twice.
 *
 * Why by step: the rows of a step reach the registry and the event store together, so the embedded
 * adapters commit them in shared transactions (one fsync for the wave) instead of one per call, and
 * the wave's keys are generated side by side. On AWS the calls are the same as row by row, as many
 * in flight as the wave has rows.
 *
 * A row whose step fails for good leaves the later steps and is reported failed at that step, with
 * DeviceProvisioningFailed on its stream. Throttling that outlives the retries fails the chunk.
 */
export const provisionNewDevices = async (deps: ProvisionDeviceDeps, batchId: string, devices: readonly DesiredDevice[]): Promise<Map<string, DeviceOutcome>> => {
  const step = stepRunner(deps);
  const failures = new Map<string, StepFailed>();
  let live: Row[] = devices.map((desired) => ({ desired }));

  /** One step for every row still going; rows that fail for good drop out. */
  const each = async (work: (row: Row) => Promise<void>) => {
    await runPool(live, live.length, async (row) => {
      try {
        await work(row);
      } catch (error) {
        if (!(error instanceof StepFailed)) throw error;
        failures.set(row.desired.thingName, error);
      }
    });
    live = live.filter((row) => !failures.has(row.desired.thingName));
  };

  // The thing and the certificate do not depend on each other, nor do the attachments: each pair
  // (or three) runs side by side, so a wave waits for three registry commits instead of six.
  await each(async (row) => {
    const { desired } = row;
    await together(
      () => step('ensureThing', () => deps.registry.ensureThing({ thingName: desired.thingName, attributes: desired.attributes, thingType: desired.deviceType })),
      async () => {
        row.certificateId = await usableCertificate(deps, step, desired.thingName);
      },
    );
  });
  if (live.length > 0) {
    try {
      await step('ensurePolicy', deps.ensureDevicePolicy);
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      for (const row of live) failures.set(row.desired.thingName, error);
      live = [];
    }
  }
  await each(async ({ desired, certificateId }) => {
    const group = desired.thingGroup;
    await together(
      () => step('attachPolicy', () => deps.registry.attachPolicy(DEVICE_POLICY_NAME, certificateId!)),
      () => step('attachThingPrincipal', () => deps.registry.attachThingPrincipal(desired.thingName, certificateId!)),
      async () => {
        if (group === undefined) return;
        await step('ensureThingGroup', () => deps.ensureGroup(group));
        await step('addThingToGroup', () => deps.registry.addThingToGroup(desired.thingName, group));
      },
    );
  });

  const provisioned: AppendRequest[] = live.map(({ desired, certificateId }) => ({
    streamId: streamIdFor.device(desired.thingName),
    expectedVersion: 'any',
    events: [provisioningEvent('DeviceProvisioned', { ...desired, certificateId: certificateId!, batchId }, [batchId, desired.thingName, certificateId!], batchId)],
  }));
  const appended = provisioned.length === 0 ? [] : await withThrottleRetry(() => deps.eventStore.appendBatch(provisioned), deps.throttleRetry, deps.sleep);
  appended.forEach((outcome, i) => {
    if (!outcome.ok) failures.set(live[i]!.desired.thingName, new StepFailed('appendDeviceProvisioned', `${outcome.error.name}: ${outcome.error.message}`));
  });

  const failed = [...failures];
  if (failed.length > 0) {
    const results = await deps.eventStore.appendBatch(failed.map(([thingName, failure]) => failedRequest(batchId, thingName, failure)));
    const refused = results.find((r) => !r.ok);
    if (refused && !refused.ok) throw refused.error;
  }
  const outcomes = new Map<string, DeviceOutcome>();
  for (const { thingName } of devices) {
    const failure = failures.get(thingName);
    outcomes.set(thingName, failure ? failedOutcome(failure) : { outcome: 'provisioned' });
  }
  return outcomes;
};
