// The shell: sign-in gate, header, and the page of the current path.

import { useCallback, useEffect, useState } from "react";

import { whenSignedOut } from "../api/client";
import { me } from "../api/endpoints";
import type { Me } from "../api/types";
import { forgetKey, storedKey } from "../auth/session";
import { SignIn } from "../auth/SignIn";
import { WhoContext } from "../auth/who";
import { JourneyList } from "../journeys/JourneyList";
import { JourneyPage } from "../journeys/JourneyPage";
import { BASE, navigate, useRoute } from "./route";

function useWho(): [Me | null, boolean, string | null, (who: Me | null, notice?: string) => void] {
  const [who, setWho] = useState<Me | null>(null);
  const [checking, setChecking] = useState(() => storedKey() !== null);
  const [notice, setNotice] = useState<string | null>(null);
  const set = useCallback((next: Me | null, message?: string) => {
    setWho(next);
    setNotice(message ?? null);
  }, []);
  useEffect(() => {
    whenSignedOut((reason) => set(null, reason));
    if (storedKey() === null) return;
    me()
      .then((found) => set(found))
      .catch(() => set(null))
      .finally(() => setChecking(false));
  }, [set]);
  return [who, checking, notice, set];
}

function Header({ who, onSignOut }: { who: Me; onSignOut: () => void }) {
  return (
    <header className="top">
      <a href={BASE} onClick={(e) => { e.preventDefault(); navigate(BASE); }} className="brand">
        Wayline
      </a>
      <nav aria-label="Main">
        <a href={BASE} onClick={(e) => { e.preventDefault(); navigate(BASE); }}>Journeys</a>
      </nav>
      <span className="who" title={who.grants.join(", ")}>
        {who.name} · {who.scopes.join(", ")}
      </span>
      <button type="button" onClick={onSignOut}>Sign out</button>
    </header>
  );
}

export function App() {
  const [who, checking, notice, setWho] = useWho();
  const route = useRoute();
  if (checking) return <p className="loading">Loading…</p>;
  if (!who) return <SignIn notice={notice} onSignedIn={(found) => setWho(found)} />;
  const signOut = (): void => {
    forgetKey();
    setWho(null, "Signed out.");
  };
  return (
    <WhoContext.Provider value={who}>
      <Header who={who} onSignOut={signOut} />
      {route.page === "journey" ? <JourneyPage key={route.id} id={route.id} /> : <JourneyList />}
    </WhoContext.Provider>
  );
}
