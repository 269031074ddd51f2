import { useId, useState, type FormEvent } from 'react';
import { href, navigate } from '../../router.ts';
import { formOf, queryOfForm, type DirectoryForm, type FormError } from './directoryQuery.ts';

const STATUS_OPTIONS: readonly { value: string; label: string }[] = [
  { value: '', label: 'Live (provisioned or bootstrapped)' },
  { value: 'provisioned', label: 'Provisioned, not yet bootstrapped' },
  { value: 'bootstrapped', label: 'Bootstrapped' },
  { value: 'deprovisioned', label: 'Deprovisioned' },
  { value: 'any', label: 'Any status' },
];

const LIMIT_OPTIONS = ['', '20', '100', '200', '500'];

interface FieldProps {
  readonly form: DirectoryForm;
  readonly name: keyof DirectoryForm;
  readonly label: string;
  readonly errors: readonly FormError[];
  readonly onChange: (name: keyof DirectoryForm, value: string) => void;
  readonly placeholder?: string;
  readonly numeric?: boolean;
}

/** A labelled text input; a field the last submit found wrong is marked and points at its message. */
const Field = ({ form, name, label, errors, onChange, placeholder, numeric }: FieldProps) => {
  const id = useId();
  const wrong = errors.some((e) => e.field === name);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        type="text"
        inputMode={numeric ? 'decimal' : undefined}
        autoComplete="off"
        spellCheck={false}
        value={form[name]}
        placeholder={placeholder}
        aria-invalid={wrong || undefined}
        aria-describedby={wrong ? 'directory-form-errors' : undefined}
        onChange={(e) => onChange(name, e.target.value)}
      />
    </div>
  );
};

/**
 * The directory's filters. Submitting writes them into the URL (which the page reads), so the
 * result is a link, the back button undoes a search, and the form shows what a shared link filters.
 */
export const DirectoryFilters = ({ query }: { query: Record<string, string> }) => {
  const [form, setForm] = useState<DirectoryForm>(() => formOf(query));
  const [errors, setErrors] = useState<readonly FormError[]>([]);
  const statusId = useId();
  const limitId = useId();
  const attrId = useId();
  const change = (name: keyof DirectoryForm, value: string) => setForm((f) => ({ ...f, [name]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = queryOfForm(form);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors([]);
    // A new search starts at its first page: a cursor belongs to the search that made it.
    navigate('/devices', checked.query);
  };
  const statusOptions = STATUS_OPTIONS.some((o) => o.value === form.status) ? STATUS_OPTIONS : [...STATUS_OPTIONS, { value: form.status, label: form.status }];
  const props = { form, errors, onChange: change };

  return (
    <form className="directory-filters" aria-label="Device filters" onSubmit={submit} noValidate>
      <fieldset>
        <legend>Device</legend>
        <Field {...props} name="tenant" label="Tenant" placeholder="city-of-lund" />
        <Field {...props} name="thingGroup" label="Thing group" placeholder="street-lights" />
        <Field {...props} name="deviceType" label="Device type" />
        <div className="field">
          <label htmlFor={statusId}>Status</label>
          <select id={statusId} name="status" value={form.status} onChange={(e) => change('status', e.target.value)}>
            {statusOptions.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field wide">
          <label htmlFor={attrId}>Attributes (name=value, separated by spaces)</label>
          <input
            id={attrId}
            name="attributes"
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={form.attributes}
            placeholder="kind=water-meter fw=2.0"
            aria-invalid={errors.some((e) => e.field === 'attributes') || undefined}
            aria-describedby={errors.some((e) => e.field === 'attributes') ? 'directory-form-errors' : undefined}
            onChange={(e) => change('attributes', e.target.value)}
          />
        </div>
      </fieldset>
      <fieldset className="coords">
        <legend>Bounding box (degrees, edges included)</legend>
        <Field {...props} name="minLat" label="South (min latitude)" numeric />
        <Field {...props} name="minLon" label="West (min longitude)" numeric />
        <Field {...props} name="maxLat" label="North (max latitude)" numeric />
        <Field {...props} name="maxLon" label="East (max longitude)" numeric />
      </fieldset>
      <fieldset className="coords">
        <legend>Within a radius</legend>
        <Field {...props} name="nearLat" label="Centre latitude" numeric />
        <Field {...props} name="nearLon" label="Centre longitude" numeric />
        <Field {...props} name="radiusKm" label="Radius (km)" numeric />
      </fieldset>
      {errors.length > 0 ? (
        <div className="problem" role="alert" id="directory-form-errors">
          <strong>The filters need a fix before searching</strong>
          <ul>
            {errors.map((e, i) => (
              <li key={i}>{e.message}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="actions">
        <div className="field">
          <label htmlFor={limitId}>Devices per page</label>
          <select id={limitId} name="limit" value={form.limit} onChange={(e) => change('limit', e.target.value)}>
            {(LIMIT_OPTIONS.includes(form.limit) ? LIMIT_OPTIONS : [...LIMIT_OPTIONS, form.limit]).map((l) => (
              <option key={l} value={l}>
                {l === '' ? '50' : l}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary">
          Search
        </button>
        <a href={href('/devices')}>Clear filters</a>
      </div>
    </form>
  );
};
