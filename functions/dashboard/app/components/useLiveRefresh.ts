import { useEffect, useRef } from 'react';

/**
 * Calls `refresh` every `intervalMs` while `enabled` and the tab is shown: polling a hidden tab
 * costs the server and the battery for nobody. Coming back to the tab refreshes at once, so what
 * an operator sees on return is current, then the interval resumes.
 */
export const useLiveRefresh = (enabled: boolean, intervalMs: number, refresh: () => void): void => {
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    if (!enabled) return undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = () => {
      timer ??= setInterval(() => latest.current(), intervalMs);
    };
    const stop = () => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    };
    const onVisibility = () => {
      if (document.hidden) return stop();
      latest.current();
      start();
    };
    if (!document.hidden) start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [enabled, intervalMs]);
};
