import { useEffect, useId, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { ProblemMessage } from '../../components/ProblemMessage.tsx';
import { navigate } from '../../router.ts';
import { useApp } from '../../session.tsx';
import { UploadAborted, uploadManifest } from './manifestUpload.ts';

const ACCEPT = '.csv,.json,.ndjson,.jsonl,text/csv,application/json,application/x-ndjson';

const size = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

type Upload = { readonly phase: 'idle' } | { readonly phase: 'sending'; readonly sent: number; readonly total: number } | { readonly phase: 'starting' };

/**
 * Choose (or drop) a manifest and upload it; on success the page moves to the new batch, which
 * shows its live progress.
 */
export const ManifestUploadForm = () => {
  const { api, session } = useApp();
  const inputId = useId();
  const progressId = useId();
  const [file, setFile] = useState<File | undefined>();
  const [upload, setUpload] = useState<Upload>({ phase: 'idle' });
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [dragging, setDragging] = useState(false);
  const abort = useRef<AbortController | undefined>(undefined);
  const input = useRef<HTMLInputElement>(null);

  // Leaving the page cancels an upload in flight rather than letting it finish unseen.
  useEffect(() => () => abort.current?.abort(), []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      setError(new Error('Choose a manifest file first (CSV, JSON or NDJSON).'));
      return;
    }
    setError(undefined);
    setNotice('');
    const controller = new AbortController();
    abort.current = controller;
    setUpload({ phase: 'sending', sent: 0, total: file.size });
    try {
      const accepted = await uploadManifest({
        base: api.base,
        token: session.token,
        file,
        signal: controller.signal,
        onProgress: (sent, total) => setUpload(sent >= total ? { phase: 'starting' } : { phase: 'sending', sent, total }),
      });
      navigate(`/provisioning/${encodeURIComponent(accepted.batchId)}`);
    } catch (err) {
      if (err instanceof UploadAborted) setNotice(err.message);
      else setError(err);
      setUpload({ phase: 'idle' });
    } finally {
      if (abort.current === controller) abort.current = undefined;
    }
  };

  const choose = (chosen: File | undefined) => {
    setFile(chosen);
    setError(undefined);
    setNotice('');
  };

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (!dropped) return;
    // Keep the input in step, so what it shows is what will be sent.
    if (input.current) {
      const list = new DataTransfer();
      list.items.add(dropped);
      input.current.files = list.files;
    }
    choose(dropped);
  };

  const busy = upload.phase !== 'idle';
  return (
    <form className="panel manifest-upload" aria-label="Upload a manifest" onSubmit={(e) => void submit(e)}>
      <h2>Upload a manifest</h2>
      <p className="hint">
        One row per device: serial, tenant, latitude, longitude, optional thingGroup and deviceType, other columns become attributes. Uploading the same
        manifest again changes nothing that need not change.
      </p>
      {/* Dropping is a mouse shortcut; the file input inside is the keyboard way in. */}
      <div
        className={`drop-zone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label htmlFor={inputId}>Manifest file (CSV, JSON or NDJSON)</label>
        <input ref={input} id={inputId} type="file" name="manifest" accept={ACCEPT} disabled={busy} onChange={(e) => choose(e.target.files?.[0])} />
        <span className="drop-hint">Choose a file, or drop one here.</span>
      </div>
      {file ? (
        <p className="chosen" data-testid="chosen-file">
          {file.name}, {size(file.size)}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Upload and provision
        </button>
        {upload.phase === 'sending' ? (
          <button type="button" onClick={() => abort.current?.abort()}>
            Cancel upload
          </button>
        ) : null}
      </div>
      {busy ? (
        <div className="upload-progress">
          <label htmlFor={progressId}>Upload progress</label>
          {upload.phase === 'sending' ? (
            <progress id={progressId} max={upload.total || 1} value={upload.sent} />
          ) : (
            <progress id={progressId} />
          )}
          <span role="status" aria-live="polite">
            {upload.phase === 'sending' ? `${size(upload.sent)} of ${size(upload.total)} sent` : 'Sent; starting the batch…'}
          </span>
        </div>
      ) : null}
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ProblemMessage error={error} />
    </form>
  );
};
