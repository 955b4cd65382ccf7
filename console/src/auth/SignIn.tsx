// Sign-in with an API key; the key is checked against GET /v1/me before it is kept.

import { useState, type FormEvent } from "react";

import { me } from "../api/endpoints";
import type { Me } from "../api/types";
import { storeKey } from "./session";

interface Props {
  notice: string | null;
  onSignedIn: (who: Me) => void;
}

export function SignIn({ notice, onSignedIn }: Props) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const who = await me(key.trim());
      storeKey(key.trim());
      onSignedIn(who);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form onSubmit={(e) => void submit(e)} method="post" action="#">
        <h1>Wayline console</h1>
        {notice && <p role="status">{notice}</p>}
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="wl_xxxxxxxx_…"
          required
        />
        {error && <p role="alert">{error}</p>}
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="hint">The key stays in this tab only (session storage).</p>
      </form>
    </main>
  );
}
