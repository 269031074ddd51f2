/**
 * Times between the API (ISO 8601 with a zone) and people (their own locale and zone). A
 * `datetime-local` input has no zone: its value is read as the browser's local time, which is
 * what the person typing it meant, and turned into an instant before it goes to the API.
 */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** An ISO instant as a `datetime-local` value (local time, to the second); '' when it is not a time. */
export const localInputFromIso = (iso: string | undefined): string => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

const LOCAL_INPUT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

/** A `datetime-local` value as an ISO instant; undefined when empty or not such a value. */
export const isoFromLocalInput = (value: string): string | undefined => {
  if (!LOCAL_INPUT.test(value)) return undefined;
  // Without a zone, Date reads date-time text as local time (ECMA-262 Date Time String Format).
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
};

/** An instant in the reader's locale, with seconds: what tables and the timeline show. */
export const formatLocal = (iso: string, locale?: string): string => {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'medium' });
};
