// The working definition checked by the API's validator as it changes (debounced): the
// problems every panel attaches to its node and field, and whether the check failed.

import { useEffect, useRef, useState } from "react";

import { validateDefinition } from "./checkApi";
import { CHECK_DELAY_MS, createChecker, IDLE, type Checker, type CheckState, type Send } from "./checker";

/** The state of the check of `definition`; a new object with the same content (a re-render)
 * is not checked again. `send` and `delay` are for tests. */
export function useValidation(definition: unknown, send: Send = validateDefinition, delay = CHECK_DELAY_MS): CheckState {
  const [state, setState] = useState<CheckState>(IDLE);
  const checker = useRef<Checker | null>(null);
  useEffect(() => {
    const made = createChecker(send, setState, delay);
    checker.current = made;
    return () => {
      made.dispose();
      checker.current = null;
    };
  }, [send, delay]);
  const text = definition === undefined || definition === null ? null : JSON.stringify(definition);
  useEffect(() => {
    checker.current?.update(text === null ? null : JSON.parse(text));
  }, [text, send, delay]);
  return state;
}
