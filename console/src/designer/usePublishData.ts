// What the publish panel compares: the journey (approval, profiles in flight) and its live
// version, reloaded on demand and every few seconds; and the working copy as publish would
// store it, checked a moment after it stops changing.

import { useEffect, useState } from "react";

import { ApiError } from "../api/client";
import { journeyForPublish, liveDefinition, normalized, type JourneyForPublish } from "./publishApi";

const EVERY_MS = 5000;
const SETTLE_MS = 400;

export interface Loaded {
  /** Undefined while loading; null for a journey not saved yet. */
  journey: JourneyForPublish | null | undefined;
  /** The live version's definition (null when none was published); undefined while loading. */
  live: unknown;
  error: string | null;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function load(id: string): Promise<Pick<Loaded, "journey" | "live">> {
  try {
    const journey = await journeyForPublish(id);
    const live = journey.live_version === null ? null : await liveDefinition(id, journey.live_version);
    return { journey, live };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return { journey: null, live: null };
    throw e;
  }
}

/** The journey and its live definition; a new `tick` reloads them at once. */
export function useJourneyForPublish(id: string, tick: number): Loaded {
  const [state, setState] = useState<Loaded>({ journey: undefined, live: undefined, error: null });
  useEffect(() => {
    let mounted = true;
    const run = (): void => {
      load(id).then(
        (got) => mounted && setState({ ...got, error: null }),
        (e: unknown) => mounted && setState((s) => ({ ...s, error: message(e) })),
      );
    };
    run();
    const timer = window.setInterval(run, EVERY_MS);
    return () => {
      mounted = false;
      window.clearInterval(timer);
    };
  }, [id, tick]);
  return state;
}

export interface Compared {
  /** The working copy with its defaults (or as written when invalid); undefined until checked. */
  definition: unknown;
  /** Whether `definition` is as publish would store it (the validator accepted it). */
  exact: boolean;
}

/** The working copy as publish would store it, asked of the validator once it settles. */
export function useNormalized(definition: unknown): Compared {
  const [state, setState] = useState<Compared>({ definition: undefined, exact: false });
  useEffect(() => {
    let mounted = true;
    const timer = window.setTimeout(() => {
      normalized(definition).then(
        (found) => mounted && setState(found === null ? { definition, exact: false } : { definition: found, exact: true }),
        () => mounted && setState({ definition, exact: false }),
      );
    }, SETTLE_MS);
    return () => {
      mounted = false;
      window.clearTimeout(timer);
    };
  }, [definition]);
  return state;
}
