import type { ApiClient } from '../../api.ts';
import { fileNameFrom } from './auditQuery.ts';

/**
 * Downloads an API answer as a file: fetched with the session's token (a plain link could not
 * carry it), kept as a blob, and saved through a temporary object URL under the name the
 * server's Content-Disposition gives. Problems (403, 400) throw as ApiProblem, like any call.
 */
export const downloadThroughFetch = async (api: ApiClient, path: string, fallbackName: string): Promise<string> => {
  const response = await api.send(path, { method: 'GET', headers: { accept: '*/*' } });
  const blob = await response.blob();
  const name = fileNameFrom(response.headers.get('content-disposition'), fallbackName);
  const url = URL.createObjectURL(blob);
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.rel = 'noopener';
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // Revoked later, not at once: a browser may still be reading the blob when click() returns.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  return name;
};
