import { useEffect, useState } from 'react';
import { ApiProblem } from '../../api.ts';
import { useApp } from '../../session.tsx';
import { isTerminal, type BatchProgress } from './batchStatus.ts';

export const POLL_INTERVAL_MS = 1000;
/**
 * How long after an upload from this browser a 404 means "not started yet" rather than "no such
 * batch": on AWS the workflow starts from the S3 event, a moment after the upload was answered.
 */
const START_GRACE_MS = 30_000;

export interface BatchProgressState {
  readonly progress: BatchProgress | undefined;
  readonly error: unknown;
  /** True while polling goes on (the batch is running, or has not appeared yet). */
  readonly polling: boolean;
}

const retryable = (error: unknown): boolean => !(error instanceof ApiProblem) || error.status >= 500 || error.status === 429;

/**
 * Polls the batch's status every second until it is terminal. A network error or a 5xx is shown
 * and retried (the server may be restarting); any other refusal (404, 403) stops the polling.
 */
export const useBatchProgress = (batchId: string, uploadedAt: string | undefined): BatchProgressState => {
  const { api } = useApp();
  const [state, setState] = useState<BatchProgressState>({ progress: undefined, error: undefined, polling: true });

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ progress: undefined, error: undefined, polling: true });
    const again = () => {
      if (!stopped) timer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
    };
    const poll = async () => {
      try {
        const progress = await api.get<BatchProgress>(`/provisioning/batches/${encodeURIComponent(batchId)}`);
        if (stopped) return;
        const done = isTerminal(progress.status);
        setState({ progress, error: undefined, polling: !done });
        if (!done) again();
      } catch (error) {
        if (stopped) return;
        const starting = error instanceof ApiProblem && error.status === 404 && uploadedAt !== undefined && Date.now() - Date.parse(uploadedAt) < START_GRACE_MS;
        if (starting) {
          again();
          return;
        }
        const retry = retryable(error);
        setState((s) => ({ progress: s.progress, error, polling: retry }));
        if (retry) again();
      }
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, batchId, uploadedAt]);

  return state;
};
