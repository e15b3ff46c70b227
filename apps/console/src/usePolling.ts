import { useEffect, useRef, useState } from 'react';
import { ApiError } from './api.js';

/** Loads now and every `intervalMs` while the tab is visible; `reload` refreshes at once. */
export function usePolling<T>(load: () => Promise<T>, deps: unknown[], intervalMs = 3000) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let cancelled = false;
    const run = async () => {
      if (document.visibilityState === 'hidden') return;
      try {
        const value = await loader.current();
        if (!cancelled) {
          setData(value);
          setError(null);
        }
      } catch (caught) {
        if (!cancelled) setError(caught instanceof ApiError ? caught.message : 'The status service cannot be reached');
      }
    };
    void run();
    const timer = setInterval(run, intervalMs);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [...deps, tick, intervalMs]);
  return { data, error, reload: () => setTick((value) => value + 1) };
}
