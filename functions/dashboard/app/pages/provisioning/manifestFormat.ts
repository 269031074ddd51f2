const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  csv: 'text/csv',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  jsonl: 'application/x-ndjson',
};

/**
 * The Content-Type to send for a chosen file. The server decides by the `name` it is given first
 * (schemas/manifest/detectFormat.ts), so this only matters for names without a known extension;
 * browsers label CSV "application/vnd.ms-excel" on Windows, which is why the extension wins here too.
 */
export const manifestContentType = (file: { readonly name: string; readonly type: string }): string => {
  const extension = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? '';
  return TYPES_BY_EXTENSION[extension] ?? (file.type || 'application/octet-stream');
};
