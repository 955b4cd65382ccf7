// The shell: sign-in gate, header, and the page of the current path.

import { useCallback, useEffect, useState } from "react";

import { whenSignedOut } from "../api/client";
import { me } from "../api/endpoints";
import type { Me } from "../api/types";
import { forgetKey, storedKey } from "../auth/session";
import { SignIn } from "../auth/SignIn";
import { WhoContext } from "../auth/who";
import { CampaignList } from "../campaigns/CampaignList";
import { CampaignPage } from "../campaigns/CampaignPage";
import { Designer } from "../designer/Designer";
import { AlertList } from "../ledger/AlertList";
import { AudienceList } from "../ledger/AudienceList";
import { MessageLedger } from "../ledger/MessageLedger";
import { JourneyList } from "../journeys/JourneyList";
import { JourneyPage } from "../journeys/JourneyPage";
import { ProfilePage } from "../profiles/ProfilePage";
import { ProfileSearch } from "../profiles/ProfileSearch";
import { Link } from "./Link";
import { BASE, type Route, useRoute } from "./route";

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

const SECTIONS: [Route["page"], string][] = [
  ["journeys", "Journeys"],
  ["profiles", "Profiles"],
  ["campaigns", "Campaigns"],
  ["audiences", "Audiences"],
  ["messages", "Messages"],
  ["alerts", "Alerts"],
];

/** The section a page belongs to, for the current-page mark in the menu. */
const section = (page: Route["page"]): string => (page === "design" ? "journeys" : page.endsWith("s") ? page : `${page}s`);

function Header({ who, page, onSignOut }: { who: Me; page: Route["page"]; onSignOut: () => void }) {
  return (
    <header className="top">
      <Link href={BASE} className="brand">Wayline</Link>
      <nav aria-label="Main">
        {SECTIONS.map(([name, label]) => (
          <Link key={name} href={`${BASE}${name}`} current={section(page) === name}>
            {label}
          </Link>
        ))}
      </nav>
      <span className="who" title={who.grants.join(", ")}>
        {who.name} · {who.scopes.join(", ")}
      </span>
      <button type="button" onClick={onSignOut}>Sign out</button>
    </header>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "journey":
      return <JourneyPage key={route.id} id={route.id} />;
    case "design":
      return <Designer key={route.id} id={route.id} />;
    case "profiles":
      return <ProfileSearch query={route.query} />;
    case "profile":
      return <ProfilePage key={route.id} id={route.id} journey={route.journey} />;
    case "campaigns":
      return <CampaignList />;
    case "campaign":
      return <CampaignPage key={route.id} id={route.id} />;
    case "audiences":
      return <AudienceList />;
    case "messages":
      return <MessageLedger />;
    case "alerts":
      return <AlertList />;
    default:
      return <JourneyList />;
  }
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
      <Header who={who} page={route.page} onSignOut={signOut} />
      <Page route={route} />
    </WhoContext.Provider>
  );
}
