import { useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { CommandPageSchema } from '../../../../commands/commandApiSchemas.ts';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { href, navigate, useLocation } from '../../router.ts';
import { useApp } from '../../session.tsx';
import { useLoad } from '../../useLoad.ts';
import { codeText } from '../../components/coapCodes.ts';
import { isoFromLocalInput, localInputFromIso } from '../../components/localTime.ts';
import { useCursorPages } from '../../components/useCursorPages.ts';
import { When } from '../../components/When.tsx';
import { AUDIT_FILTER_NAMES, filterProblems, filtersFromQuery, searchOf, type AuditFilterName, type AuditFilters } from './auditQuery.ts';
import { downloadThroughFetch } from './download.ts';
import './audit.css';
import { CursorPager } from '../../components/CursorPager.tsx';

type CommandPage = z.infer<typeof CommandPageSchema>;
type AuditRow = CommandPage['items'][number];

const PAGE_SIZE = 25;

const LABELS: Readonly<Record<AuditFilterName, string>> = { thingName: 'Device', operator: 'Operator', from: 'Requested from', to: 'Requested before' };

/** The filter form; its fields start from the URL and go back into it on submit. */
const AuditFilterForm = ({ filters }: { filters: AuditFilters }) => {
  const [fields, setFields] = useState<Record<AuditFilterName, string>>(() => ({
    thingName: filters.thingName ?? '',
    operator: filters.operator ?? '',
    from: localInputFromIso(filters.from),
    to: localInputFromIso(filters.to),
  }));
  const [problems, setProblems] = useState<{ field: AuditFilterName; message: string }[]>([]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next: AuditFilters = {};
    const local: { field: AuditFilterName; message: string }[] = [];
    if (fields.thingName.trim()) next.thingName = fields.thingName.trim();
    if (fields.operator.trim()) next.operator = fields.operator.trim();
    for (const name of ['from', 'to'] as const) {
      if (!fields[name]) continue;
      const iso = isoFromLocalInput(fields[name]);
      if (iso) next[name] = iso;
      else local.push({ field: name, message: 'Give a date and time.' });
    }
    const all = [...local, ...filterProblems(next)];
    setProblems(all);
    if (all.length === 0) navigate('/audit', next);
  };
  const problemOf = (name: AuditFilterName) => problems.filter((p) => p.field === name).map((p) => p.message).join(' ');
  return (
    <form className="toolbar filters" onSubmit={submit} noValidate aria-label="Filter the command audit">
      {AUDIT_FILTER_NAMES.map((name) => {
        const problem = problemOf(name);
        return (
          <div className="field" key={name}>
            <label htmlFor={`audit-${name}`}>{LABELS[name]}</label>
            <input
              id={`audit-${name}`}
              type={name === 'from' || name === 'to' ? 'datetime-local' : 'text'}
              step={name === 'from' || name === 'to' ? 1 : undefined}
              placeholder={name === 'thingName' ? 'any device' : name === 'operator' ? 'anyone' : undefined}
              value={fields[name]}
              onChange={(e) => setFields((f) => ({ ...f, [name]: e.target.value }))}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? `audit-${name}-problem` : undefined}
            />
            {problem ? (
              <p className="field-problem" id={`audit-${name}-problem`}>
                {problem}
              </p>
            ) : null}
          </div>
        );
      })}
      <button type="submit" className="primary">Apply filters</button>
      <a href={href('/audit')}>Clear filters</a>
    </form>
  );
};

const outcomeOf = (row: AuditRow) => {
  const code = codeText(row.lwm2mCode);
  return (
    <>
      <span className={`badge status-${row.status}`}>{row.status}</span>
      {code ? <> · {code}</> : null}
      {row.detail ? <div className="detail">{row.detail}</div> : null}
    </>
  );
};

/**
 * Who did what to which device, when, and how it ended: GET /commands with the filters of the URL,
 * newest first, a page at a time; the same rows exported as CSV or NDJSON through the export route.
 */
export const AuditPage = () => {
  const { api } = useApp();
  const location = useLocation();
  const filters = filtersFromQuery(location.query);
  const search = searchOf(filters);
  const pages = useCursorPages(search);
  const invalid = filterProblems(filters);
  const loaded = useLoad(`${search}|${pages.cursor ?? ''}`, () => api.get<CommandPage>(`/commands${searchOf(filters, { limit: String(PAGE_SIZE), cursor: pages.cursor })}`));
  const [exportError, setExportError] = useState<unknown>();
  const [exporting, setExporting] = useState<string>();
  const [exported, setExported] = useState('');

  const exportAs = async (format: 'csv' | 'ndjson') => {
    setExportError(undefined);
    setExporting(format);
    try {
      const name = await downloadThroughFetch(api, `/audit/commands${searchOf(filters, { format })}`, `command-audit.${format}`);
      setExported(`Saved ${name}.`);
    } catch (error) {
      setExportError(error);
    } finally {
      setExporting(undefined);
    }
  };

  const rows = loaded.data?.items ?? [];
  const active = AUDIT_FILTER_NAMES.filter((n) => filters[n]);
  return (
    <section className="audit-page" aria-labelledby="audit-title">
      <h1 id="audit-title">Command audit</h1>
      <p>Every command and alarm acknowledgement: who asked, what, of which device, and how it ended. Newest first.</p>
      <AuditFilterForm key={search} filters={filters} />
      {invalid.length > 0 ? (
        <p className="field-problem" role="alert">
          The address holds filters the audit cannot use: {invalid.map((p) => `${p.field}: ${p.message}`).join(' ')}
        </p>
      ) : null}
      <div className="export actions">
        <span id="export-label">Export {active.length > 0 ? 'the filtered rows' : 'every row'}:</span>
        <button type="button" onClick={() => void exportAs('csv')} disabled={exporting !== undefined} aria-describedby="export-label">
          {exporting === 'csv' ? 'Exporting…' : 'Export CSV'}
        </button>
        <button type="button" onClick={() => void exportAs('ndjson')} disabled={exporting !== undefined} aria-describedby="export-label">
          {exporting === 'ndjson' ? 'Exporting…' : 'Export NDJSON'}
        </button>
        <span role="status">{exported}</span>
      </div>
      <ProblemMessage error={exportError} />
      <ProblemMessage error={loaded.error} />
      {loaded.data === undefined ? (
        loaded.loading ? <p className="loading">Loading the audit…</p> : null
      ) : rows.length === 0 ? (
        <p className="empty">{active.length > 0 ? 'No commands match these filters.' : 'No commands have been sent yet.'}</p>
      ) : (
        <div className="table-wrap">
          <table className="audit-table">
            <caption>
              Commands{active.length > 0 ? ` (${active.map((n) => `${LABELS[n].toLowerCase()} ${n === 'from' || n === 'to' ? new Date(filters[n]!).toLocaleString() : filters[n]}`).join(', ')})` : ''}, page {pages.page}
            </caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Operator</th>
                <th scope="col">Device</th>
                <th scope="col">Operation</th>
                <th scope="col">Path</th>
                <th scope="col">Outcome</th>
                <th scope="col">Latency</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.commandId} data-command-id={row.commandId}>
                  <td>
                    <When iso={row.requestedAt} />
                  </td>
                  <td>
                    {row.operator}
                    {row.role ? <small> ({row.role})</small> : null}
                  </td>
                  <td>
                    <a href={href(`/devices/${encodeURIComponent(row.thingName)}`)}>{row.thingName}</a>
                  </td>
                  <td>{row.operation}</td>
                  <td>{row.path ? <code>{row.path}</code> : row.alarmId ? <>alarm {row.alarmId}</> : '—'}</td>
                  <td>{outcomeOf(row)}</td>
                  <td className="number">{row.latencyMs === undefined ? '—' : `${Math.round(row.latencyMs)} ms`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager label="Audit pages" pages={pages} nextCursor={loaded.data?.nextCursor} previousText={'Newer commands'} nextText={'Older commands'} />
    </section>
  );
};
