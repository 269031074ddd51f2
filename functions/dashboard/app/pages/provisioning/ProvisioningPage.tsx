import { useId, useState, type FormEvent } from 'react';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { href, navigate } from '../../router.ts';
import { useApp } from '../../session.tsx';
import { BatchProgressPanel } from './BatchProgressPanel.tsx';
import { BatchReportTable } from './BatchReportTable.tsx';
import { ManifestUploadForm } from './ManifestUploadForm.tsx';
import { BatchList } from './BatchList.tsx';
import type { BatchUploadFacts } from './batchStatus.ts';
import { useBatchProgress } from './useBatchProgress.ts';
import { When } from '../../components/When.tsx';
import './provisioning.css';

const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Open a batch by the id the upload gave (a batch started elsewhere, e.g. with the CLI). */
const OpenBatchForm = () => {
  const inputId = useId();
  const [value, setValue] = useState('');
  const [error, setError] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = value.trim();
    if (!BATCH_ID.test(id)) {
      setError('A batch id is 1 to 64 letters, digits, "_" and "-", like b-8217645993210-3f9c0a1b2c3d4e5f: paste the batchId the upload answered.');
      return;
    }
    setError('');
    navigate(`/provisioning/${encodeURIComponent(id)}`);
  };
  return (
    <form className="panel open-batch" aria-label="Open a batch" onSubmit={submit} noValidate>
      <h2>Open a batch</h2>
      <div className="field">
        <label htmlFor={inputId}>Batch id</label>
        <input
          id={inputId}
          type="text"
          autoComplete="off"
          spellCheck={false}
          value={value}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${inputId}-error` : undefined}
          onChange={(e) => setValue(e.target.value)}
        />
      </div>
      <button type="submit">Open</button>
      {error ? (
        <p className="field-error" id={`${inputId}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
};

/** Which file, when and by whom, as the server read them from the upload (nothing when it no longer has the manifest). */
const UploadFacts = ({ upload }: { upload: BatchUploadFacts | undefined }) =>
  upload?.uploadedAt ? (
    <>
      <strong data-testid="batch-file">{upload.fileName ?? 'A manifest without a file name'}</strong>, uploaded <When iso={upload.uploadedAt} />{' '}
      {upload.uploadedBy ? <>by {upload.uploadedBy}</> : <>to the uploads area directly</>}.{' '}
    </>
  ) : null;

/** One batch: live progress until it stops, then the per-row report. */
const BatchView = ({ batchId }: { batchId: string }) => {
  const { batch, waiting, error, polling } = useBatchProgress(batchId);
  return (
    <>
      <p className="batch-meta">
        <UploadFacts upload={batch ?? waiting} />
        Batch id <code className="batch-id">{batchId}</code>.
      </p>
      <ProblemMessage error={error} />
      {error && polling ? <p role="status">Trying again every second.</p> : null}
      {waiting && !batch ? (
        <p role="status" data-testid="batch-waiting">
          Waiting for its workflow to start: it starts from the upload, normally within seconds. If it has not started a minute after the upload, the upload
          trigger failed: upload the manifest again.
        </p>
      ) : null}
      {batch ? <BatchProgressPanel progress={batch} /> : !error && !waiting ? <p role="status">Loading the batch…</p> : null}
      {batch?.reportKey ? <BatchReportTable batchId={batchId} reportKey={batch.reportKey} /> : null}
      {batch && batch.status !== 'RUNNING' && !batch.reportKey ? (
        <p>This batch stopped before its report was written, so there is no per-row report. Upload the manifest again.</p>
      ) : null}
    </>
  );
};

/**
 * Provisioning (`/provisioning`, `/provisioning/:batchId`): upload a manifest (admins only, as the
 * API's permission table says), follow a batch live, read its per-row report.
 */
export const ProvisioningPage = ({ batchId }: { batchId?: string }) => {
  const { can, session } = useApp();
  const mayUpload = can('POST', '/provisioning/manifests');
  return (
    <section className="provisioning-page" aria-labelledby="provisioning-title">
      {batchId ? (
        <p className="crumbs">
          <a href={href('/provisioning')}>Provisioning</a> › batch
        </p>
      ) : null}
      <h1 id="provisioning-title">{batchId ? 'Provisioning batch' : 'Provisioning'}</h1>
      {batchId ? (
        <BatchView key={batchId} batchId={batchId} />
      ) : (
        <>
          {mayUpload ? (
            <ManifestUploadForm />
          ) : (
            <p className="notice read-only-note" data-testid="upload-not-offered">
              Uploading manifests needs the admin role; you are signed in as {session.role}, so you can follow batches and read their reports here but not start one.
            </p>
          )}
          <BatchList />
          <OpenBatchForm />
        </>
      )}
    </section>
  );
};
