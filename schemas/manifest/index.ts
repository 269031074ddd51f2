export { parseManifest, type ManifestParse, type ManifestSummary, type ParseManifestOptions, type RowResult } from './parseManifest.ts';
export { detectFormat, MANIFEST_FORMATS, type ManifestFormat } from './detectFormat.ts';
export { DEFAULT_LIMITS, resolveLimits, type ManifestLimits } from './limits.ts';
export { ManifestError, isManifestError, type ManifestErrorCode } from './errors.ts';
export {
  ManifestRow,
  checkRow,
  RESERVED_FIELDS,
  REQUIRED_FIELDS,
  ATTRIBUTES_KEY,
  reservedFieldFor,
  type ManifestRowInput,
  type ReservedField,
  type RowCheck,
  type RowProblem,
} from './manifestRow.ts';
export { MAX_ATTRIBUTES, MAX_ATTRIBUTES_WITHOUT_TYPE, ATTRIBUTE_VALUE_MAX } from './fieldRules.ts';
export {
  ReportWriter,
  ReportEntry,
  streamReport,
  invalidEntry,
  OUTCOMES,
  CSV_REPORT_COLUMNS,
  type Outcome,
  type ReportEntryInput,
  type ReportFormat,
  type ReportSummary,
} from './report.ts';
