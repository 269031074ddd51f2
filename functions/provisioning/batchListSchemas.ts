import { z } from 'zod';
import { IsoTime } from '../../events/catalog/common.ts';
import { BatchProgressSchema, ProblemSchema } from '../api/openapi/apiSchemas.ts';

/**
 * GET /provisioning/batches and GET /provisioning/batches/{batchId}: queries, pages and answers, for
 * the OpenAPI document, tests and the console (which type-imports them: keep this file free of
 * Node imports).
 */

export const BATCH_LIST_LIMITS = { defaultLimit: 20, maxLimit: 100 } as const;

/** A cursor holds an object key (up to 1024 bytes on S3), base64url-encoded. */
export const MAX_CURSOR_LENGTH = 1500;

export const BatchListParams = z.object({
  limit: z.int().min(1).max(BATCH_LIST_LIMITS.maxLimit).optional().meta({ description: `Batches per page; ${BATCH_LIST_LIMITS.defaultLimit} unless given.` }),
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional().meta({ description: 'The nextCursor of the previous page.' }),
});

/** What the upload stored beside the manifest (object metadata), shared by the list and one batch. */
const fileName = z.string().optional().meta({ description: 'The name given at upload (?name=).' });
const uploadedBy = z.string().optional().meta({ description: 'The subject of the token that uploaded it; absent when the manifest was written to the uploads area directly.' });

export const BatchListItemSchema = z.object({
  batchId: z.string(),
  format: z.enum(['csv', 'json', 'ndjson']),
  fileName,
  uploadedBy,
  uploadedAt: IsoTime,
  status: z.enum([...BatchProgressSchema.shape.status.options, 'PENDING']).meta({ description: 'The workflow’s status; PENDING: stored, its workflow not started yet.' }),
  progress: BatchProgressSchema.optional().meta({ description: 'As GET /provisioning/batches/{batchId}; absent while PENDING.' }),
});

export const BatchListPageSchema = z.object({
  items: z.array(BatchListItemSchema).meta({
    description:
      'Newest upload first for manifests uploaded through the API (their batch ids begin with the inverted upload time, so the uploads bucket lists them in that order); manifests written to the uploads area directly under other names follow, in name order.',
  }),
  nextCursor: z.string().optional().meta({ description: 'Absent on the last page.' }),
});

/** GET /provisioning/batches/{batchId}: the progress, and who uploaded which file when. */
export const BatchSchema = BatchProgressSchema.extend({
  fileName,
  uploadedBy,
  uploadedAt: IsoTime.optional().meta({ description: 'When the manifest was stored; absent when it is no longer in the uploads area.' }),
});

export const BATCH_NOT_STARTED = '/problems/batch-not-started';

/**
 * The 404 for a batch whose manifest is stored but whose workflow has not started (on AWS it starts
 * from the upload's S3 event, a moment after the upload is answered; or never, when that trigger
 * failed): RFC 9457 extension members carry what the upload stored, so a client can name the batch
 * while it waits. A 404 rather than a 200 with a new status: clients written against the progress
 * schema (the CLI, the demo) already read a 404 as "not started yet, ask again".
 */
export const BatchNotStartedSchema = ProblemSchema.extend({
  type: z.literal(BATCH_NOT_STARTED),
  status: z.literal(404),
  batchId: z.string(),
  fileName,
  uploadedBy,
  uploadedAt: IsoTime,
});
