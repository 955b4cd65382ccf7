// The journey's write buttons, offered only to a key with `journeys:write`.

import { useState } from "react";

import { publishJourney, stopJourney } from "../api/endpoints";
import { useCan } from "../auth/who";

export function Actions({ id, onDone }: { id: string; onDone: () => void }) {
  const can = useCan("journeys:write");
  const [error, setError] = useState<string | null>(null);
  if (!can) return null;
  const run = (action: () => Promise<unknown>) => async (): Promise<void> => {
    setError(null);
    try {
      await action();
      onDone();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const stop = async (): Promise<void> => {
    if (window.confirm(`Stop new entries into ${id}?`)) await run(() => stopJourney(id))();
  };
  return (
    <div className="actions">
      <button type="button" onClick={() => void run(() => publishJourney(id))()}>Publish draft</button>
      <button type="button" onClick={() => void stop()}>Stop journey</button>
      {error && <p role="alert">{error}</p>}
    </div>
  );
}
