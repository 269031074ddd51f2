import middy from '@middy/core';
import { z } from 'zod';
import type { ProvisioningInput } from '../provisioning/batchInput.ts';
import { parseInput } from '../shared/middleware/parseInput.ts';
import { logger } from './observability.ts';

/**
 * What the uploads rule hands this Lambda: its input transformer picks the object key out of S3's
 * EventBridge "Object Created" event (`$.detail.object.key`; keys in these events are not
 * URL-encoded, ADR 0004).
 */
export const ManifestUploaded = z.object({ manifestKey: z.string().min(1).max(1024) });
export type ManifestUploaded = z.infer<typeof ManifestUploaded>;

/**
 * The key the upload API writes (`manifests/<batchId>.<format>`, functions/provisioning/
 * provisioningRoutes.ts) and the embedded trigger reads (infra/embedded/modules/provisioning.ts).
 * An EventBridge input transformer cannot cut a batch id out of a key, so this step does.
 */
const MANIFEST_KEY = /^manifests\/(b-[A-Za-z0-9_-]{1,60})\.(csv|json|ndjson)$/;

/** The workflow input for a manifest key, as the embedded module builds it; undefined for other keys. */
export const provisioningInputFor = (manifestKey: string): ProvisioningInput | undefined => {
  const match = MANIFEST_KEY.exec(manifestKey);
  if (!match) return undefined;
  const [, batchId, format] = match as unknown as [string, string, ProvisioningInput['format']];
  return { batchId, manifestKey, format };
};

/**
 * Starts the provisioning state machine with `name` as the execution name; `already-started` when
 * an execution of that name exists (Step Functions' ExecutionAlreadyExists).
 */
export type StartProvisioning = (input: ProvisioningInput, name: string) => Promise<'started' | 'already-started'>;

export type ManifestUploadedResult =
  | { readonly started: true; readonly batchId: string }
  | { readonly started: false; readonly batchId?: string; readonly reason: string };

const warn = (reason: string) => logger.warn('manifest upload not started', { reason });

/**
 * The uploads rule's target: one manifest upload in, one provisioning execution named after its
 * batch started. EventBridge delivers at least once; a second start of the same name and input is
 * answered with the existing execution, so a redelivery starts nothing new.
 */
export const startProvisioningOnUpload = (deps: { readonly start: StartProvisioning; readonly warn?: (message: string) => void }) =>
  middy<ManifestUploaded, ManifestUploadedResult>()
    .use(parseInput(ManifestUploaded, 'manifest upload event'))
    .handler(async ({ manifestKey }) => {
      const input = provisioningInputFor(manifestKey);
      if (!input) {
        const reason = `${manifestKey} does not look like manifests/b-<id>.<csv|json|ndjson>; upload manifests through the API (POST /provisioning/manifests) or name them so`;
        (deps.warn ?? warn)(reason);
        return { started: false, reason };
      }
      if ((await deps.start(input, input.batchId)) === 'started') return { started: true, batchId: input.batchId };
      // A redelivered event, or the same key uploaded again: the batch ran (or runs) already.
      const reason = `batch ${input.batchId} has an execution already; upload the manifest under a new key (the API makes one per upload) to run it again`;
      (deps.warn ?? warn)(reason);
      return { started: false, batchId: input.batchId, reason };
    });
