import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { detectFormat } from '../../schemas/manifest/detectFormat.ts';
import { sendProblem, type Problem } from '../directory/problemDetails.ts';
import type { ObjectStore } from '../objectStore/objectStore.ts';
import { principalOf } from '../api/auth/apiAccess.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { BATCH_LIST_LIMITS, decodeBatchCursor, findBatchManifest, listBatches, metadataText } from './batchList.ts';
import { batchIdSource } from './batchListOrder.ts';
import { BATCH_NOT_STARTED } from './batchListSchemas.ts';
import type { BatchProgress } from './batchProgress.ts';

export interface ProvisioningRoutesOptions {
  readonly uploads: ObjectStore;
  readonly reports: ObjectStore;
  /** The batch's progress, or undefined when no batch has that id. */
  readonly progress: (batchId: string) => Promise<BatchProgress | undefined>;
  readonly maxManifestBytes?: number;
  readonly preHandler?: preHandlerHookHandler;
  /** Upload times in batch ids (batchListOrder.ts); the system clock unless given. */
  readonly clock?: Clock;
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;

const problem = (status: number, type: string, title: string, detail: string, instance: string): Problem => ({ type: `/problems/${type}`, title, status, detail, instance });

class TooLarge extends Error {}

/** Counts bytes as they stream and stops the upload past the limit. */
const limitBytes = (max: number) => {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      seen += chunk.length;
      if (seen > max) return done(new TooLarge(`the manifest is larger than ${max} bytes`));
      done(null, chunk);
    },
  });
};

/**
 * Manifest upload, the batch list and batch status. The upload streams straight into the uploads area (never the
 * whole file in memory); writing it there is what starts the provisioning workflow, exactly as an
 * S3 upload does on AWS.
 */
export const provisioningRoutes = (options: ProvisioningRoutesOptions) => (app: FastifyInstance) => {
  const { uploads, reports, progress, maxManifestBytes = 50 * 1024 * 1024 } = options;
  const route = options.preHandler ? { preHandler: options.preHandler } : {};
  const clock = options.clock ?? systemClock;
  const newBatchId = batchIdSource(() => clock.now());

  // The body is the manifest itself, read as a stream by the handler.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  app.post<{ Querystring: { name?: string } }>('/provisioning/manifests', route, async (request, reply) => {
    const fileName = typeof request.query.name === 'string' ? request.query.name : undefined;
    let format;
    try {
      format = detectFormat(fileName, request.headers['content-type']);
    } catch (err) {
      return sendProblem(
        reply,
        problem(415, 'unsupported-manifest', 'The manifest format is not recognised', `${(err as Error).message} Send text/csv, application/json or application/x-ndjson, or pass ?name=devices.csv.`, request.url),
      );
    }
    const batchId = newBatchId();
    const uploader = principalOf(request)?.subject;
    const manifestKey = `manifests/${batchId}.${format}`;
    try {
      await uploads.put(manifestKey, request.raw.pipe(limitBytes(maxManifestBytes)), {
        contentType: request.headers['content-type'] ?? 'application/octet-stream',
        // Percent-encoded: metadata is printable ASCII, names and subjects need not be (batchList.ts reads them back).
        metadata: { batchid: batchId, format, ...(fileName ? { filename: metadataText(fileName.slice(0, 200)) } : {}), ...(uploader ? { uploadedby: metadataText(uploader) } : {}) },
      });
    } catch (err) {
      if (err instanceof TooLarge || (err as { cause?: unknown }).cause instanceof TooLarge) {
        return sendProblem(reply, problem(413, 'manifest-too-large', 'The manifest is too large', `The limit is ${maxManifestBytes} bytes: split the file and upload the parts.`, request.url));
      }
      throw err;
    }
    return reply
      .code(202)
      .header('location', `/provisioning/batches/${batchId}`)
      .send({ batchId, manifestKey, format, status: `/provisioning/batches/${batchId}`, report: `/provisioning/batches/${batchId}/report` });
  });

  app.get<{ Querystring: { limit?: string; cursor?: string } }>('/provisioning/batches', route, async (request, reply) => {
    const { limit: limitText, cursor } = request.query;
    const limit = limitText === undefined ? BATCH_LIST_LIMITS.defaultLimit : /^\d{1,3}$/.test(limitText) ? Number(limitText) : Number.NaN;
    if (!(limit >= 1 && limit <= BATCH_LIST_LIMITS.maxLimit)) {
      return sendProblem(reply, problem(400, 'invalid-query', 'The limit is not valid', `limit must be a whole number from 1 to ${BATCH_LIST_LIMITS.maxLimit}; it was "${String(limitText)}".`, request.url));
    }
    const after = typeof cursor === 'string' ? decodeBatchCursor(cursor) : undefined;
    if (typeof cursor === 'string' && after === undefined) {
      return sendProblem(reply, problem(400, 'invalid-cursor', 'The cursor is not valid', 'Pass the nextCursor of the previous page as it was, or leave cursor out to start from the newest batch.', request.url));
    }
    return reply.send(await listBatches({ uploads, progress }, { limit, after }));
  });

  const notFound = (batchId: string, instance: string): Problem =>
    problem(404, 'batch-not-found', 'No such batch', `No provisioning batch has the id "${batchId}".`, instance);

  // The progress and the upload's metadata side by side: a stored manifest whose workflow has not
  // started answers its own 404 (batchListSchemas.ts says why a 404) with what the upload stored.
  app.get<{ Params: { batchId: string } }>('/provisioning/batches/:batchId', route, async (request, reply) => {
    const { batchId } = request.params;
    if (!BATCH_ID.test(batchId)) return sendProblem(reply, notFound(batchId, request.url));
    const [found, upload] = await Promise.all([progress(batchId), findBatchManifest(uploads, batchId)]);
    if (found) return reply.send({ ...found, fileName: upload?.fileName, uploadedBy: upload?.uploadedBy, uploadedAt: upload?.uploadedAt });
    if (!upload) return sendProblem(reply, notFound(batchId, request.url));
    const named = [upload.fileName, upload.uploadedBy ? `uploaded by ${upload.uploadedBy}` : undefined, `stored ${upload.uploadedAt}`].filter((p) => p !== undefined).join(', ');
    const notStarted = {
      ...problem(
        404,
        'batch-not-started',
        'The batch has not started yet',
        `Batch ${batchId} (${named}) is stored, but its provisioning workflow has not started. It starts from the upload, normally within seconds: ask again shortly. If it has not started a minute after the upload, the upload trigger failed: upload the manifest again.`,
        request.url,
      ),
      type: BATCH_NOT_STARTED,
      batchId,
      fileName: upload.fileName,
      uploadedBy: upload.uploadedBy,
      uploadedAt: upload.uploadedAt,
    };
    return sendProblem(reply, notStarted);
  });

  app.get<{ Params: { batchId: string }; Querystring: { format?: string } }>('/provisioning/batches/:batchId/report', route, async (request, reply) => {
    const { batchId } = request.params;
    const found = BATCH_ID.test(batchId) ? await progress(batchId) : undefined;
    if (!found) {
      const stored = BATCH_ID.test(batchId) ? await findBatchManifest(uploads, batchId) : undefined;
      if (!stored) return sendProblem(reply, notFound(batchId, request.url));
      return sendProblem(reply, problem(409, 'report-not-ready', 'The report is not ready', `Batch ${batchId} is stored but its workflow has not started; the report is written when every row has an outcome.`, request.url));
    }
    if (!found.reportKey) {
      return sendProblem(reply, problem(409, 'report-not-ready', 'The report is not ready', `Batch ${batchId} is ${found.status}; the report is written when every row has an outcome.`, request.url));
    }
    const key = request.query.format === 'json' ? found.reportKey.replace(/\.csv$/, '.json') : found.reportKey;
    const object = await reports.get(key);
    return reply.type(object.contentType).send(object.body);
  });
};
