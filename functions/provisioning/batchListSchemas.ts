import { z } from 'zod';
import { IsoTime } from '../../events/catalog/common.ts';
import { BatchProgressSchema } from '../api/openapi/apiSchemas.ts';

/**
 * GET /provisioning/batches: its query and its page, for the OpenAPI document, tests and the
 * console (which type-imports the page: keep this file free of Node imports).
 */

export const BATCH_LIST_LIMITS = { defaultLimit: 20, maxLimit: 100 } as const;

export const BatchListParams = z.object({
  limit: z.int().min(1).max(BATCH_LIST_LIMITS.maxLimit).optional().meta({ description: `Batches per page; ${BATCH_LIST_LIMITS.defaultLimit} unless given.` }),
  cursor: z.string().max(300).optional().meta({ description: 'The nextCursor of the previous page.' }),
});

export const BatchListItemSchema = z.object({
  batchId: z.string(),
  format: z.enum(['csv', 'json', 'ndjson']),
  fileName: z.string().optional().meta({ description: 'The name given at upload (?name=).' }),
  uploadedBy: z.string().optional().meta({ description: 'The subject of the token that uploaded it; absent when the manifest was written to the uploads area directly.' }),
  uploadedAt: IsoTime,
  status: z.enum([...BatchProgressSchema.shape.status.options, 'PENDING']).meta({ description: 'The workflow’s status; PENDING: stored, its workflow not started yet.' }),
  progress: BatchProgressSchema.optional().meta({ description: 'As GET /provisioning/batches/{batchId}; absent while PENDING.' }),
});

export const BatchListPageSchema = z.object({
  items: z.array(BatchListItemSchema).meta({ description: 'Newest upload first.' }),
  nextCursor: z.string().optional().meta({ description: 'Absent on the last page.' }),
});
