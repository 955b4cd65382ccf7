// Loads a value, then again every `every` ms while the component is mounted.

import { useEffect, useState } from "react";

export interface Loaded<T> {
  value: T | null;
  error: string | null;
}

export function usePoll<T>(load: (() => Promise<T>) | null, every: number | null): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ value: null, error: null });
  useEffect(() => {
    if (!load) return undefined;
    let live = true;
    const run = (): void => {
      load().then(
        (value) => live && setState({ value, error: null }),
        (e: unknown) => live && setState((s) => ({ value: s.value, error: e instanceof Error ? e.message : String(e) })),
      );
    };
    run();
    const timer = every === null ? undefined : window.setInterval(run, every);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [load, every]);
  return state;
}
