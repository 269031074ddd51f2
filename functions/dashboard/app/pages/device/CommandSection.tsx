import { useEffect, useState, type FormEvent } from 'react';
import { DEFAULT_OBJECT_MODEL } from '../../../../../schemas/lwm2m/objects/model.ts';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { href } from '../../router.ts';
import { useApp } from '../../session.tsx';
import {
  buildCommand,
  describeValueRule,
  fitDraft,
  FORM_OPERATIONS,
  INITIAL_DRAFT,
  objectsFor,
  OPERATION_LABELS,
  pathOf,
  resourcesFor,
  takesWholeInstance,
  valueInputOf,
  type Draft,
  type DraftError,
  type DraftField,
  type FormOperation,
} from './commandDraft.ts';
import { describeOutcome, isFinal } from './commandOutcome.ts';
import type { CommandAccepted, CommandDetail } from './deviceTypes.ts';

const MODEL = DEFAULT_OBJECT_MODEL;
/** How often a sent command is looked at until it ends; the API answers from the command's own stream. */
const FOLLOW_EVERY_MS = 500;

interface Sent {
  readonly commandId: string;
  readonly operation: string;
  readonly path: string;
}

const FieldProblem = ({ errors, field }: { errors: readonly DraftError[]; field: DraftField }) => {
  const mine = errors.filter((e) => e.field === field);
  if (mine.length === 0) return null;
  return (
    <p id={`command-${field}-problem`} className="field-problem">
      {mine.map((e) => e.message).join(' ')}
    </p>
  );
};

/** aria attributes of an input whose field may carry a problem, plus its help text. */
const described = (errors: readonly DraftError[], field: DraftField, help?: string) => {
  const invalid = errors.some((e) => e.field === field);
  const ids = [help, invalid ? `command-${field}-problem` : undefined].filter(Boolean).join(' ');
  return { 'aria-invalid': invalid ? true : undefined, 'aria-describedby': ids || undefined };
};

/** Follows a command until it ends: GET /commands/:id every half second, stopped when the page goes. */
const useFollow = (commandId: string | undefined) => {
  const { api } = useApp();
  const [detail, setDetail] = useState<CommandDetail>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setDetail(undefined);
    setError(undefined);
    if (!commandId) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await api.get<CommandDetail>(`/commands/${encodeURIComponent(commandId)}`);
        if (stopped) return;
        setDetail(next);
        if (!isFinal(next.command.status)) timer = setTimeout(() => void poll(), FOLLOW_EVERY_MS);
      } catch (err) {
        if (!stopped) setError(err);
      }
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, commandId]);
  return { detail, error };
};

const CommandResult = ({ sent, thingName }: { sent: Sent | undefined; thingName: string }) => {
  const { detail, error } = useFollow(sent?.commandId);
  if (!sent) return <p className="empty">No command sent yet from this page.</p>;
  const outcome = detail ? describeOutcome(detail, MODEL) : undefined;
  return (
    <div className={`command-result tone-${outcome?.tone ?? 'pending'}`} data-status={outcome?.status ?? 'sending'}>
      <p>
        <strong>
          {OPERATION_LABELS[sent.operation as FormOperation] ?? sent.operation} <code>{sent.path}</code>
        </strong>{' '}
        (command <code>{sent.commandId}</code>): <span data-testid="command-outcome">{outcome ? outcome.headline : 'Accepted; following it…'}</span>
      </p>
      {outcome?.detail ? <p className="outcome-detail">{outcome.detail}</p> : null}
      {outcome && outcome.values.length > 0 ? (
        <div className="table-wrap">
          <table className="read-values">
            <caption>Values the device returned</caption>
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">Resource</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {outcome.values.map((v) => (
                <tr key={v.path}>
                  <td>
                    <code>{v.path}</code>
                  </td>
                  <td>{v.name}</td>
                  <td data-testid="read-value">{v.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ProblemMessage error={error} />
      {outcome?.final ? (
        <p>
          <a href={href('/audit', { thingName })}>See it in the command audit</a>
        </p>
      ) : null}
    </div>
  );
};

/** The value input for a write, typed by the resource's LwM2M type, with its range or length. */
const ValueInput = ({ draft, errors, onChange }: { draft: Draft; errors: readonly DraftError[]; onChange: (patch: Partial<Draft>) => void }) => {
  const resource = MODEL.resource(Number(draft.objectId), Number(draft.resourceId));
  if (!resource) return null;
  const kind = valueInputOf(resource);
  const help = 'command-value-help';
  const aria = described(errors, 'value', help);
  const common = { id: 'command-value', ...aria };
  let input;
  switch (kind) {
    case 'integer':
      input = <input {...common} type="number" step={1} inputMode="numeric" min={resource.range?.min} max={resource.range?.max} value={draft.value} onChange={(e) => onChange({ value: e.target.value })} />;
      break;
    case 'float':
      input = <input {...common} type="number" step="any" inputMode="decimal" min={resource.range?.min} max={resource.range?.max} value={draft.value} onChange={(e) => onChange({ value: e.target.value })} />;
      break;
    case 'boolean':
      input = <input {...common} type="checkbox" checked={draft.checked} onChange={(e) => onChange({ checked: e.target.checked })} />;
      break;
    case 'time':
      input = <input {...common} type="datetime-local" step={1} value={draft.value} onChange={(e) => onChange({ value: e.target.value })} />;
      break;
    case 'text':
      input = <input {...common} type="text" minLength={resource.length?.min} maxLength={resource.length?.max} value={draft.value} onChange={(e) => onChange({ value: e.target.value })} />;
      break;
    case 'hex':
      input = <input {...common} type="text" spellCheck={false} autoComplete="off" placeholder="0a ff 3c" value={draft.value} onChange={(e) => onChange({ value: e.target.value })} />;
      break;
    case 'objlnk':
      input = <input {...common} type="text" placeholder="11:0" value={draft.value} onChange={(e) => onChange({ value: e.target.value })} />;
      break;
    case undefined:
      return null;
  }
  return (
    <div className={`field${kind === 'boolean' ? ' field-checkbox' : ''}`}>
      <label htmlFor="command-value">{kind === 'boolean' ? `Value: ${resource.name} is true when checked` : `Value of ${resource.name}`}</label>
      {input}
      <p id={help} className="hint">
        {describeValueRule(resource)}
      </p>
      <FieldProblem errors={errors} field="value" />
    </div>
  );
};

/**
 * The command form, generated from the LwM2M object definitions: operation, object, instance,
 * resource (only those that allow the operation), a value typed by the resource, checked before
 * it is sent; then the command is followed until it ends and its outcome is announced.
 * Roles that may not send commands get a sentence instead of the form.
 */
export const CommandSection = ({ thingName }: { thingName: string }) => {
  const { api, can, session } = useApp();
  const [draft, setDraft] = useState<Draft>(INITIAL_DRAFT);
  const [errors, setErrors] = useState<readonly DraftError[]>([]);
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<unknown>();
  const [sent, setSent] = useState<Sent>();

  if (!can('POST', '/commands')) {
    return (
      <section aria-labelledby="command-title" className="device-command panel">
        <h2 id="command-title">Commands</h2>
        <p data-testid="command-not-offered">
          You are signed in as a <strong>{session.role}</strong>: you may look at this device but not send it commands or acknowledge its alarms. Operators and admins can; the
          server refuses such requests from your role too.
        </p>
      </section>
    );
  }

  const change = (patch: Partial<Draft>) => {
    setDraft((d) => fitDraft({ ...d, ...patch }, MODEL));
    setErrors([]);
  };
  const objects = objectsFor(MODEL, draft.operation);
  const object = MODEL.object(Number(draft.objectId));
  const resources = object ? resourcesFor(object, draft.operation) : [];
  const resource = draft.resourceId === '' ? undefined : MODEL.resource(Number(draft.objectId), Number(draft.resourceId));
  const preview = pathOf(draft);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSendError(undefined);
    const built = buildCommand(thingName, draft, MODEL);
    if (!built.ok) {
      setErrors(built.errors);
      return;
    }
    setErrors([]);
    setSending(true);
    try {
      const accepted = await api.post<CommandAccepted>('/commands', built.body);
      setSent({ commandId: accepted.commandId, operation: built.body.operation, path: built.body.path });
    } catch (error) {
      setSendError(error);
    } finally {
      setSending(false);
    }
  };

  return (
    <section aria-labelledby="command-title" className="device-command panel">
      <h2 id="command-title">Send a command</h2>
      <form onSubmit={(e) => void submit(e)} noValidate aria-label="Command" className="command-form">
        <div className="field">
          <label htmlFor="command-operation">Operation</label>
          <select id="command-operation" value={draft.operation} onChange={(e) => change({ operation: e.target.value as FormOperation })}>
            {FORM_OPERATIONS.map((op) => (
              <option key={op} value={op}>
                {OPERATION_LABELS[op]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="command-object">Object</label>
          <select id="command-object" value={draft.objectId} onChange={(e) => change({ objectId: e.target.value })} {...described(errors, 'objectId')}>
            {objects.map((o) => (
              <option key={o.id} value={String(o.id)}>
                {o.name} ({o.id})
              </option>
            ))}
          </select>
          <FieldProblem errors={errors} field="objectId" />
        </div>
        <div className="field">
          <label htmlFor="command-instance">Instance</label>
          <input
            id="command-instance"
            type="number"
            min={0}
            max={65534}
            step={1}
            inputMode="numeric"
            value={draft.instanceId}
            onChange={(e) => change({ instanceId: e.target.value })}
            {...described(errors, 'instanceId')}
          />
          <FieldProblem errors={errors} field="instanceId" />
        </div>
        <div className="field">
          <label htmlFor="command-resource">Resource</label>
          <select id="command-resource" value={draft.resourceId} onChange={(e) => change({ resourceId: e.target.value, value: '', checked: false })} {...described(errors, 'resourceId')}>
            {takesWholeInstance(draft.operation) ? <option value="">The whole instance</option> : null}
            {resources.map((r) => (
              <option key={r.id} value={String(r.id)}>
                {r.name} ({r.id}){r.units ? `, ${r.units}` : ''}
              </option>
            ))}
          </select>
          <FieldProblem errors={errors} field="resourceId" />
        </div>
        {resource?.multiple ? (
          <div className="field">
            <label htmlFor="command-resource-instance">Resource instance{draft.operation === 'write' ? '' : ' (empty for all)'}</label>
            <input
              id="command-resource-instance"
              type="number"
              min={0}
              max={65534}
              step={1}
              inputMode="numeric"
              value={draft.resourceInstanceId}
              onChange={(e) => change({ resourceInstanceId: e.target.value })}
              {...described(errors, 'resourceInstanceId')}
            />
            <FieldProblem errors={errors} field="resourceInstanceId" />
          </div>
        ) : null}
        {draft.operation === 'write' ? <ValueInput draft={draft} errors={errors} onChange={change} /> : null}
        {draft.operation === 'execute' ? (
          <div className="field">
            <label htmlFor="command-arguments">Arguments (optional)</label>
            <input
              id="command-arguments"
              type="text"
              placeholder="0='fw-2.1',1"
              value={draft.arguments}
              onChange={(e) => change({ arguments: e.target.value })}
              {...described(errors, 'arguments', 'command-arguments-help')}
            />
            <p id="command-arguments-help" className="hint">
              Digits, each optionally ='text' without spaces or quotes, separated by commas (LwM2M Core 5.4.5).
            </p>
            <FieldProblem errors={errors} field="arguments" />
          </div>
        ) : null}
        <p className="command-path">
          Path: <code>{'path' in preview ? preview.path : '—'}</code>
        </p>
        <button type="submit" className="primary" disabled={sending}>
          {sending ? 'Sending…' : 'Send command'}
        </button>
        {errors.length > 0 ? (
          <p className="field-problem" role="alert">
            The command was not sent: {errors.length === 1 ? 'a field needs' : `${errors.length} fields need`} a change.
          </p>
        ) : null}
      </form>
      <ProblemMessage error={sendError} />
      <div aria-live="polite" className="command-live" data-testid="command-result">
        <CommandResult sent={sent} thingName={thingName} />
      </div>
    </section>
  );
};

