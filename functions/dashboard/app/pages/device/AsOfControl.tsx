import { useState, type FormEvent } from 'react';
import { navigate } from '../../router.ts';
import { isoFromLocalInput, localInputFromIso } from '../../components/localTime.ts';

/**
 * "State as of": a local date and time (to the second) turned into an instant and put in the
 * URL (`?at=`), so a historical view can be linked to, reloaded, and left with the back button.
 */
export const AsOfControl = ({ thingName, at }: { thingName: string; at: string | undefined }) => {
  const [value, setValue] = useState(() => localInputFromIso(at));
  const [problem, setProblem] = useState<string>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const iso = isoFromLocalInput(value);
    if (!iso) {
      setProblem('Give a date and time, e.g. 2026-03-01 12:00:00.');
      return;
    }
    setProblem(undefined);
    navigate(`/devices/${encodeURIComponent(thingName)}`, { at: iso });
  };
  return (
    <form className="as-of" onSubmit={submit} aria-label="State as of a past time" noValidate>
      <label htmlFor="as-of-input">State as of (your local time)</label>
      <input
        id="as-of-input"
        type="datetime-local"
        step={1}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? 'as-of-problem' : undefined}
      />
      <button type="submit">Show state then</button>
      {problem ? (
        <p id="as-of-problem" className="field-problem" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
};
