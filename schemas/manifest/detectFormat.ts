import { ManifestError } from './errors.ts';

export type ManifestFormat = 'csv' | 'json' | 'ndjson';
export const MANIFEST_FORMATS: readonly ManifestFormat[] = ['csv', 'json', 'ndjson'];

const BY_EXTENSION: Partial<Record<string, ManifestFormat>> = { csv: 'csv', json: 'json', ndjson: 'ndjson', jsonl: 'ndjson' };

const BY_CONTENT_TYPE: Partial<Record<string, ManifestFormat>> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/json': 'json',
  'text/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
  'application/jsonlines': 'ndjson',
};

const WORKBOOK_EXTENSIONS = new Set(['xlsx', 'xls', 'xlsm', 'ods', 'numbers']);
const WORKBOOK_TYPES = new Set([
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.oasis.opendocument.spreadsheet',
]);

/**
 * The manifest format from what the upload says about itself. The file extension wins because a
 * person chose it; browsers on Windows label .csv files "application/vnd.ms-excel", so that and
 * other generic types (text/plain, application/octet-stream) never decide.
 */
export const detectFormat = (fileName?: string, contentType?: string): ManifestFormat => {
  const extension = /\.([a-z0-9]+)$/i.exec(fileName?.trim() ?? '')?.[1]?.toLowerCase() ?? '';
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (WORKBOOK_EXTENSIONS.has(extension) || WORKBOOK_TYPES.has(type)) {
    throw new ManifestError('unknown-format', `"${fileName ?? type}" is a spreadsheet workbook, not a manifest.`, 'Export the sheet as "CSV UTF-8" and upload the .csv file.');
  }
  const format = BY_EXTENSION[extension] ?? BY_CONTENT_TYPE[type];
  if (format) return format;
  throw new ManifestError(
    'unknown-format',
    `cannot tell the manifest format from the file name ${JSON.stringify(fileName ?? '')} and content type ${JSON.stringify(contentType ?? '')}.`,
    'Name the file .csv, .json or .ndjson (or send Content-Type text/csv, application/json or application/x-ndjson).',
  );
};
