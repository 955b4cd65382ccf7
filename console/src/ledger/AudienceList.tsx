// Every audience with its size; choosing one shows its rule and a sample of members.

import { useCallback, useState } from "react";

import { audience, audiences } from "../api/endpoints";
import type { Audience } from "../api/types";
import { formatCount } from "../app/format";
import { Link } from "../app/Link";
import { Loading } from "../app/Loading";
import { profileHref } from "../app/route";
import { Time } from "../app/Time";
import { usePoll } from "../app/usePoll";

function Members({ id }: { id: string }) {
  const load = useCallback(() => audience(id), [id]);
  const state = usePoll(load, 5000);
  return (
    <section className="card" aria-label={`Audience ${id}`}>
      <Loading state={state} what="the audience">
        {(a) => (
          <>
            <h2 className="title">{a.name} <code>{a.audience_id}</code></h2>
            {a.description && <p>{a.description}</p>}
            <p><strong>{formatCount(a.size)}</strong> members{a.time_relative ? " · time-relative (re-evaluated on a schedule)" : ""} · evaluated <Time at={a.evaluated_at} /></p>
            <h3 className="mini">Rule</h3>
            <pre className="rule">{JSON.stringify(a.definition, null, 2)}</pre>
            <h3 className="mini">A sample of members</h3>
            {a.sample.length === 0 ? <p className="muted">No member.</p> : (
              <ul className="plain sample" aria-label="Sample of members">
                {a.sample.map((p) => <li key={p}><Link href={profileHref(p)}>{p}</Link></li>)}
              </ul>
            )}
          </>
        )}
      </Loading>
    </section>
  );
}

function Row({ a, chosen, onChoose }: { a: Audience; chosen: boolean; onChoose: () => void }) {
  return (
    <tr className={chosen ? "selected-row" : undefined}>
      <td>
        <button type="button" className="linkish" onClick={onChoose} aria-label={`Show audience ${a.audience_id}`}>{a.audience_id}</button>
        <div className="sub">{a.name}</div>
      </td>
      <td className="num">{formatCount(a.size)}</td>
      <td>{a.time_relative ? "yes" : "no"}</td>
      <td><span className={`status status-${a.status}`}>{a.status}</span></td>
      <td><Time at={a.evaluated_at} /></td>
    </tr>
  );
}

export function AudienceList() {
  const load = useCallback(() => audiences(), []);
  const state = usePoll(load, 5000);
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <main className="page">
      <h1>Audiences</h1>
      <Loading state={state} what="audiences">
        {(page) => page.count === 0 ? <p>No audience yet.</p> : (
          <div className="campaign-grid wide-left">
            <table className="grid">
              <thead><tr><th>Audience</th><th className="num">Size</th><th>Time-relative</th><th>Status</th><th>Evaluated</th></tr></thead>
              <tbody>
                {page.items.map((a) => <Row key={a.audience_id} a={a} chosen={a.audience_id === chosen} onChoose={() => setChosen(a.audience_id)} />)}
              </tbody>
            </table>
            {chosen ? <Members key={chosen} id={chosen} /> : <p className="muted">Choose an audience for its rule and a sample of members.</p>}
          </div>
        )}
      </Loading>
    </main>
  );
}
