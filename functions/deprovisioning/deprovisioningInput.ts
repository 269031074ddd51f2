import { z } from 'zod';
import { taskInputParser } from '../workflows/taskInput.ts';
import { ThingName } from '../../events/catalog/common.ts';

/** What starts a deprovisioning run: `{ thingName, reason? }`. */
export const DeprovisioningInput = z.object({
  thingName: ThingName,
  reason: z.string().min(1).max(500).optional(),
});
export type DeprovisioningInput = z.infer<typeof DeprovisioningInput>;

/** Certificate ids as the registry names them (SHA-256 of the DER, lowercase hex; AWS uses the same). */
export const CertificateIds = z.array(z.string().regex(/^[0-9a-f]{64}$/, 'a certificate id is 64 lowercase hex digits')).max(10);

export const parseDeprovisioningInput = taskInputParser('start the workflow with { "thingName": "...", "reason": "..." }.');
