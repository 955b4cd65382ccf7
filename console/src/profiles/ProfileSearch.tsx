// Find a profile by id, alias, email or phone (GET /v1/profiles?q=); one match opens it.

import { useCallback, useEffect, useState, type FormEvent } from "react";

import { findProfiles } from "../api/endpoints";
import { Link } from "../app/Link";
import { Loading } from "../app/Loading";
import { BASE, navigate, profileHref } from "../app/route";
import { Time } from "../app/Time";
import { usePoll } from "../app/usePoll";

export function SearchBox({ initial = "" }: { initial?: string }) {
  const [text, setText] = useState(initial);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (text.trim()) navigate(`${BASE}profiles?q=${encodeURIComponent(text.trim())}`);
  };
  return (
    <form className="filters" role="search" onSubmit={submit}>
      <label>
        Find a profile
        <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="id, alias, email or phone" />
      </label>
      <button type="submit" disabled={!text.trim()}>Find</button>
    </form>
  );
}

function Results({ query }: { query: string }) {
  const load = useCallback(() => findProfiles(query), [query]);
  const state = usePoll(load, null);
  useEffect(() => {
    const only = state.value?.count === 1 ? state.value.items[0] : undefined;
    if (only) navigate(profileHref(only.profile_id), true);
  }, [state.value]);
  return (
    <Loading state={state} what="profiles">
      {(page) =>
        page.count === 0 ? (
          <p>No profile has the id, alias, email or phone “{query}”.</p>
        ) : (
          <table className="grid">
            <thead>
              <tr><th>Profile</th><th>Matched by</th><th>Email</th><th>Phone</th><th>Updated</th></tr>
            </thead>
            <tbody>
              {page.items.map((p) => (
                <tr key={p.profile_id}>
                  <td><Link href={profileHref(p.profile_id)}>{p.profile_id}</Link></td>
                  <td>{p.matched_by}</td>
                  <td>{p.email ?? "–"}</td>
                  <td>{p.phone ?? "–"}</td>
                  <td><Time at={p.updated_at} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      }
    </Loading>
  );
}

export function ProfileSearch({ query }: { query: string }) {
  return (
    <main className="page">
      <h1>Profiles</h1>
      <SearchBox key={query} initial={query} />
      {query ? <Results query={query} /> : <p className="muted">Type a profile id, an id merged into one, an email or a phone.</p>}
    </main>
  );
}
