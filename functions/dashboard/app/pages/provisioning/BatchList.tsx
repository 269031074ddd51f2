import type { z } from 'zod';
import type { BatchListPageSchema } from '../../../../provisioning/batchListSchemas.ts';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { useCursorPages } from '../../components/useCursorPages.ts';
import { When } from '../../components/When.tsx';
import { href } from '../../router.ts';
import { useApp } from '../../session.tsx';
import { useLoad } from '../../useLoad.ts';
import { outcomeSummary, rowProgress, STATUS_LABELS } from './batchStatus.ts';
import { CursorPager } from '../../components/CursorPager.tsx';

/** GET /provisioning/batches, typed by the server's own schema (a type import: no zod runs here). */
type BatchListPage = z.infer<typeof BatchListPageSchema>;
type BatchListItem = BatchListPage['items'][number];

const PAGE_SIZE = 10;

const Progress = ({ batch }: { batch: BatchListItem }) => {
  if (!batch.progress) return <span className="muted">Waiting for its workflow to start</span>;
  const { done, total } = rowProgress(batch.progress);
  return (
    <span>
      {done.toLocaleString()} of {total === undefined ? '?' : total.toLocaleString()} rows: {outcomeSummary(batch.progress)}
    </span>
  );
};

/** Every batch the system holds, newest first, whoever uploaded it and however (API or uploads area). */
export const BatchList = () => {
  const { api } = useApp();
  const pages = useCursorPages('batches');
  const loaded = useLoad(`batches|${pages.cursor ?? ''}`, () =>
    api.get<BatchListPage>(`/provisioning/batches?limit=${PAGE_SIZE}${pages.cursor ? `&cursor=${encodeURIComponent(pages.cursor)}` : ''}`),
  );
  const items = loaded.data?.items ?? [];
  return (
    <section className="panel batch-list" aria-labelledby="batch-list-title">
      <h2 id="batch-list-title">Batches</h2>
      <ProblemMessage error={loaded.error} />
      {loaded.loading && !loaded.data ? (
        <p className="loading" role="status">
          Loading the batches…
        </p>
      ) : items.length === 0 && !loaded.error ? (
        <p className="empty">No batches yet: nobody has uploaded a manifest.</p>
      ) : items.length > 0 ? (
        <div className="table-wrap">
          <table className="batch-table">
            <caption className="visually-hidden">Provisioning batches, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Manifest</th>
                <th scope="col">Uploaded</th>
                <th scope="col">By</th>
                <th scope="col">Status</th>
                <th scope="col">Rows</th>
              </tr>
            </thead>
            <tbody>
              {items.map((b) => (
                <tr key={b.batchId}>
                  <th scope="row">
                    <a href={href(`/provisioning/${encodeURIComponent(b.batchId)}`)}>{b.fileName ?? b.batchId}</a>
                    {b.fileName ? <code className="batch-id">{b.batchId}</code> : null}
                  </th>
                  <td>
                    <When iso={b.uploadedAt} />
                  </td>
                  <td>{b.uploadedBy ?? <span className="muted">written to the uploads area</span>}</td>
                  <td>
                    <span className={`badge status-${b.status.toLowerCase().replace('_', '-')}`}>{b.status === 'PENDING' ? 'Pending' : STATUS_LABELS[b.status]}</span>
                  </td>
                  <td>
                    <Progress batch={b} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <CursorPager label="Pages of batches" pages={pages} nextCursor={loaded.data?.nextCursor} previousText={'Newer batches'} nextText={'Older batches'} />
    </section>
  );
};
