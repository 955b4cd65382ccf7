// Checking a definition as it changes: each change restarts a short delay, only the last
// definition is sent, and an answer to anything but the latest change is dropped (a slow
// answer to an old draft must not overwrite the problems of the current one).

import type { DesignProblem } from "./types";
import type { Validation } from "./checkApi";

export const CHECK_DELAY_MS = 400;

export interface CheckState {
  /** idle: nothing to check yet; checking: a change waits or is being checked. */
  status: "idle" | "checking" | "checked" | "failed";
  problems: DesignProblem[];
  /** Why the last check could not be made (network, HTTP error); problems are the last known. */
  error: string | null;
}

export const IDLE: CheckState = { status: "idle", problems: [], error: null };

export type Send = (definition: unknown, signal: AbortSignal) => Promise<Validation>;

export interface Checker {
  /** The definition changed: check it after the delay, unless it changes again first. */
  update(definition: unknown): void;
  dispose(): void;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function createChecker(send: Send, onState: (s: CheckState) => void, delay = CHECK_DELAY_MS): Checker {
  let latest = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: AbortController | null = null;
  let last: CheckState = IDLE;
  const emit = (s: CheckState): void => {
    last = s;
    onState(s);
  };
  const run = (definition: unknown, ticket: number): void => {
    inFlight?.abort();
    const controller = new AbortController();
    inFlight = controller;
    send(definition, controller.signal).then(
      (v) => ticket === latest && emit({ status: "checked", problems: v.problems, error: null }),
      (e: unknown) => ticket === latest && emit({ status: "failed", problems: last.problems, error: message(e) }),
    );
  };
  return {
    update(definition) {
      const ticket = ++latest;
      clearTimeout(timer);
      if (definition === undefined || definition === null) return emit(IDLE);
      emit({ ...last, status: "checking" });
      timer = setTimeout(() => run(definition, ticket), delay);
    },
    dispose() {
      latest += 1;
      clearTimeout(timer);
      inFlight?.abort();
    },
  };
}
