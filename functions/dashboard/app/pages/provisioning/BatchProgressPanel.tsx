import { useId } from 'react';
import { rowProgress, STATUS_LABELS, statusSentence, type BatchProgress } from './batchStatus.ts';
import { When } from '../../components/When.tsx';

/** The batch's live progress: status sentence (an aria-live region), a labelled bar and the counts. */
export const BatchProgressPanel = ({ progress }: { progress: BatchProgress }) => {
  const barId = useId();
  const { done, total } = rowProgress(progress);
  const percent = total ? Math.round((done / total) * 100) : undefined;
  const counts: readonly [string, number | undefined, string][] = [
    ['Total rows', progress.totalRows, 'total'],
    ['Provisioned', progress.provisioned, 'provisioned'],
    ['Updated', progress.updated, 'updated'],
    ['Unchanged', progress.unchanged, 'unchanged'],
    ['Failed', progress.failed, 'failed'],
    ['Invalid (refused by validation)', progress.invalidRows, 'invalid'],
  ];
  return (
    <section className="panel batch-progress" aria-labelledby={`${barId}-title`} data-status={progress.status}>
      <h2 id={`${barId}-title`}>
        Progress: <span className={`badge status-${progress.status.toLowerCase()}`}>{STATUS_LABELS[progress.status]}</span>
      </h2>
      <p role="status" aria-live="polite" data-testid="batch-status">
        {statusSentence(progress)}
      </p>
      <div className="bar">
        <label htmlFor={barId}>Rows with an outcome</label>
        {total === undefined ? <progress id={barId} /> : <progress id={barId} max={Math.max(total, 1)} value={done} />}
        <span className="bar-text">
          {total === undefined ? 'counting rows…' : `${done.toLocaleString()} of ${total.toLocaleString()} (${percent ?? 0} %)`}
        </span>
      </div>
      <dl className="counts">
        {counts.map(([label, value, key]) => (
          <div key={key} className={`count count-${key}`}>
            <dt>{label}</dt>
            <dd data-testid={`count-${key}`}>{value === undefined ? '—' : value.toLocaleString()}</dd>
          </div>
        ))}
      </dl>
      <p className="times">
        Started <When iso={progress.startedAt} />
        {progress.stoppedAt ? (
          <>
            , finished <When iso={progress.stoppedAt} />
          </>
        ) : null}
        .
      </p>
    </section>
  );
};
