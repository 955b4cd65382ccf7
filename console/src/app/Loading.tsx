// The loading and error states every page shows the same way: the API's detail, verbatim.

import type { ReactNode } from "react";

import type { Loaded } from "./usePoll";

interface Props<T> {
  state: Loaded<T>;
  what: string;
  children: (value: T) => ReactNode;
}

export function Loading<T>({ state, what, children }: Props<T>) {
  if (state.value !== null) {
    return (
      <>
        {state.error && <p role="alert">Refreshing {what} failed: {state.error}</p>}
        {children(state.value)}
      </>
    );
  }
  if (state.error) return <p role="alert">Loading {what} failed: {state.error}</p>;
  return <p className="loading" role="status">Loading {what}…</p>;
}
