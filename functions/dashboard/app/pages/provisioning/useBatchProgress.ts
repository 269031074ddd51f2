import { useEffect, useState } from 'react';
import { ApiProblem } from '../../api.ts';
import { useApp } from '../../session.tsx';
import { BATCH_NOT_STARTED, isTerminal, type Batch, type BatchNotStarted } from './batchStatus.ts';

export const POLL_INTERVAL_MS = 1000;

export interface BatchProgressState {
  readonly batch: Batch | undefined;
  /** What the upload stored, while the server says the manifest is stored and its workflow has not started. */
  readonly waiting: BatchNotStarted | undefined;
  readonly error: unknown;
  /** True while polling goes on (the batch is running, or has not started yet). */
  readonly polling: boolean;
}

const retryable = (error: unknown): boolean => !(error instanceof ApiProblem) || error.status >= 500 || error.status === 429;

const notStarted = (error: unknown): BatchNotStarted | undefined =>
  error instanceof ApiProblem && error.status === 404 && error.problem.type === BATCH_NOT_STARTED ? (error.problem as unknown as BatchNotStarted) : undefined;

/**
 * Polls the batch every second until it is terminal. The server tells a batch that has not started
 * (its manifest is stored: on AWS the workflow starts from the upload's S3 event, a moment later)
 * from one that does not exist, so no client-side memory of uploads is needed: the first is waited
 * for, the second shown. A network error or a 5xx is shown and retried (the server may be
 * restarting); any other refusal (404, 403) stops the polling.
 */
export const useBatchProgress = (batchId: string): BatchProgressState => {
  const { api } = useApp();
  const [state, setState] = useState<BatchProgressState>({ batch: undefined, waiting: undefined, error: undefined, polling: true });

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ batch: undefined, waiting: undefined, error: undefined, polling: true });
    const again = () => {
      if (!stopped) timer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
    };
    const poll = async () => {
      try {
        const batch = await api.get<Batch>(`/provisioning/batches/${encodeURIComponent(batchId)}`);
        if (stopped) return;
        const done = isTerminal(batch.status);
        setState({ batch, waiting: undefined, error: undefined, polling: !done });
        if (!done) again();
      } catch (error) {
        if (stopped) return;
        const waiting = notStarted(error);
        if (waiting) {
          setState({ batch: undefined, waiting, error: undefined, polling: true });
          again();
          return;
        }
        const retry = retryable(error);
        setState((s) => ({ batch: s.batch, waiting: s.waiting, error, polling: retry }));
        if (retry) again();
      }
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, batchId]);

  return state;
};
