import { z } from 'zod';
import { defineEvent } from './define.ts';

export const ProvisioningBatchStarted = defineEvent(
  'ProvisioningBatchStarted',
  1,
  z.object({
    batchId: z.string().min(1),
    manifestKey: z.string().min(1),
    format: z.enum(['csv', 'json', 'ndjson']),
    totalRows: z.number().int().nonnegative(),
    invalidRows: z.number().int().nonnegative(),
  }),
  'A manifest was accepted and its provisioning workflow started.',
);

export const ProvisioningBatchCompleted = defineEvent(
  'ProvisioningBatchCompleted',
  1,
  z.object({
    batchId: z.string().min(1),
    provisioned: z.number().int().nonnegative(),
    updated: z.number().int().nonnegative(),
    unchanged: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    invalid: z.number().int().nonnegative(),
    reportKey: z.string().min(1),
  }),
  'Every row of a manifest has an outcome; the report lists them.',
);
