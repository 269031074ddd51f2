import { useId, useState } from 'react';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { useApp } from '../../session.tsx';
import { useLoad } from '../../useLoad.ts';
import { problemRowCount, reportLines, type BatchReport, type Outcome, type ReportFilter } from './reportRows.ts';

/** Outcome badges in the console's shared tones: a word on a tint, never colour alone. */
const OUTCOME_TONES: Readonly<Record<Outcome, string>> = {
  provisioned: 'tone-good',
  updated: 'tone-good',
  unchanged: 'tone-neutral',
  failed: 'tone-bad',
  invalid: 'tone-bad',
};

/** Lines drawn at once: a 100,000-row report is for the CSV download, not for one DOM table. */
const MAX_LINES = 1000;

/**
 * The per-row report of a finished batch: row number, serial, outcome and, for rows that did not
 * become devices, the field, what is wrong and how to fix it. Filter to the failed and invalid rows;
 * download the CSV for a spreadsheet.
 */
export const BatchReportTable = ({ batchId, reportKey }: { batchId: string; reportKey: string }) => {
  const { api } = useApp();
  const filterId = useId();
  const path = `/provisioning/batches/${encodeURIComponent(batchId)}/report`;
  const report = useLoad(`${batchId}:${reportKey}`, () => api.get<BatchReport>(`${path}?format=json`));
  const [filter, setFilter] = useState<ReportFilter>('all');
  const [downloadError, setDownloadError] = useState<unknown>();

  const download = async () => {
    setDownloadError(undefined);
    try {
      // The report needs the bearer token, so a plain link cannot fetch it: fetch, then save the blob.
      const response = await api.send(path, { method: 'GET', headers: { accept: 'text/csv' } });
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `${batchId}-report.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 0);
    } catch (err) {
      setDownloadError(err);
    }
  };

  if (report.error) return <ProblemMessage error={report.error} />;
  if (!report.data) return <p role="status">Loading the report…</p>;
  const data = report.data;
  const problems = problemRowCount(data);
  const lines = reportLines(data, filter);
  const shown = lines.slice(0, MAX_LINES);

  return (
    <section className="panel batch-report" aria-labelledby={`${filterId}-title`}>
      <h2 id={`${filterId}-title`}>Report</h2>
      <div className="toolbar">
        <div className="field">
          <label htmlFor={filterId}>Show rows</label>
          <select id={filterId} value={filter} onChange={(e) => setFilter(e.target.value as ReportFilter)}>
            <option value="all">All rows ({data.rows.length.toLocaleString()})</option>
            <option value="problems">Only failed and invalid rows ({problems.toLocaleString()})</option>
          </select>
        </div>
        <button type="button" onClick={() => void download()}>
          Download the report (CSV)
        </button>
      </div>
      <ProblemMessage error={downloadError} />
      {lines.length === 0 ? (
        <p>{filter === 'problems' ? 'No row failed or was refused: every row became a device or was already one.' : 'The report has no rows.'}</p>
      ) : (
        <div className="table-wrap">
          <table className="report-table">
            <caption>
              {filter === 'problems' ? 'Failed and invalid rows' : 'Every row'}
              {shown.length < lines.length ? `: the first ${shown.length.toLocaleString()} of ${lines.length.toLocaleString()} lines; the CSV has them all` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Serial</th>
                <th scope="col">Outcome</th>
                <th scope="col">Field</th>
                <th scope="col">What is wrong</th>
                <th scope="col">How to fix it</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((line) => (
                <tr key={line.key} className={`line-${line.outcome}`} data-row={line.rowNumber}>
                  <th scope="row">{line.rowNumber}</th>
                  <td className="serial">{line.serial || '—'}</td>
                  <td>
                    <span className={`badge ${OUTCOME_TONES[line.outcome]}`}>{line.outcome}</span>
                  </td>
                  <td>{line.field ? <code>{line.field}</code> : ''}</td>
                  <td>{line.message}</td>
                  <td>{line.hint}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
};
