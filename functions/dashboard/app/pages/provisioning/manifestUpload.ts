import { ApiProblem, type ProblemBody } from '../../api.ts';
import { manifestContentType } from './manifestFormat.ts';

/** What POST /provisioning/manifests answers (202): the new batch and where to follow it. */
export interface ManifestAccepted {
  readonly batchId: string;
  readonly manifestKey: string;
  readonly format: 'csv' | 'json' | 'ndjson';
  readonly status: string;
  readonly report: string;
}

export interface UploadOptions {
  /** The API's base URL ('' on the embedded runtime: same origin). */
  readonly base: string;
  readonly token: string;
  readonly file: File;
  readonly onProgress: (sentBytes: number, totalBytes: number) => void;
  readonly signal?: AbortSignal;
}

export class UploadAborted extends Error {
  override name = 'UploadAborted';
}

const problemOf = (status: number, statusText: string, text: string): ProblemBody => {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') return parsed as ProblemBody;
  } catch {
    // not JSON: quote the body below
  }
  return { title: statusText || `HTTP ${status}`, status, ...(text ? { detail: text.slice(0, 500) } : {}) };
};

/**
 * Sends the file as the request body, as the upload route streams it (no multipart), with the file
 * name in `?name=` so the server can tell the format. XMLHttpRequest rather than fetch: fetch
 * reports no upload progress, and streaming request bodies need HTTP/2, which the embedded server
 * does not speak. Refusals come back as ApiProblem, the same as every other API call.
 */
export const uploadManifest = (options: UploadOptions): Promise<ManifestAccepted> =>
  new Promise<ManifestAccepted>((resolve, reject) => {
    const { file } = options;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${options.base}/provisioning/manifests?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('authorization', `Bearer ${options.token}`);
    xhr.setRequestHeader('content-type', manifestContentType(file));
    xhr.setRequestHeader('accept', 'application/json, application/problem+json');
    xhr.upload.onprogress = (event) => options.onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as ManifestAccepted);
        } catch {
          reject(new Error(`The server accepted the upload (${xhr.status}) but its answer is not JSON; open the Provisioning page again to look for the batch.`));
        }
        return;
      }
      reject(new ApiProblem(xhr.status, problemOf(xhr.status, xhr.statusText, xhr.responseText)));
    };
    xhr.onerror = () =>
      reject(
        new Error(
          'The upload stopped before the server answered: the connection was closed. The file may be larger than the server accepts, or the server may be down; check the file and try again.',
        ),
      );
    xhr.onabort = () => reject(new UploadAborted('The upload was cancelled; nothing was provisioned.'));
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
