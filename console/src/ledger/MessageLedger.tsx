// The message ledger, newest first, searched by profile, journey, campaign, channel and
// status; each message opens as it was rendered and sent.

import { useCallback, useState, type FormEvent } from "react";

import { messages } from "../api/endpoints";
import type { Message } from "../api/types";
import { Link } from "../app/Link";
import { Loading } from "../app/Loading";
import { journeyHref, profileHref } from "../app/route";
import { Time } from "../app/Time";
import { usePoll } from "../app/usePoll";
import { messageQuery, NO_FILTERS, type MessageFilters } from "./query";

const STATUSES = ["", "sent", "failed", "skipped", "deferred", "pending", "sending", "dry_run"];
const TEXT_FILTERS: [keyof MessageFilters, string][] = [
  ["profile_id", "Profile"],
  ["journey_id", "Journey"],
  ["campaign_id", "Campaign"],
  ["channel", "Channel"],
];

function Filters({ onSearch }: { onSearch: (f: MessageFilters) => void }) {
  const [draft, setDraft] = useState<MessageFilters>(NO_FILTERS);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    onSearch(draft);
  };
  return (
    <form className="filters wrap" role="search" aria-label="Search messages" onSubmit={submit}>
      {TEXT_FILTERS.map(([key, label]) => (
        <label key={key}>
          {label}
          <input value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} size={12} />
        </label>
      ))}
      <label>
        Status
        <select value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
          {STATUSES.map((s) => <option key={s} value={s}>{s || "any"}</option>)}
        </select>
      </label>
      <button type="submit">Search</button>
    </form>
  );
}

function Rendered({ m, onClose }: { m: Message; onClose: () => void }) {
  return (
    <aside className="side-panel message-panel" aria-label={`Message ${m.message_id}`}>
      <header>
        <h2>{m.channel} · {m.template}</h2>
        <button type="button" onClick={onClose} aria-label="Close the message">×</button>
      </header>
      <dl className="facts">
        <dt>Status</dt><dd><span className={`status status-${m.status}`}>{m.status}</span>{m.reason ? ` ${m.reason}` : ""}</dd>
        {m.error && <><dt>Error</dt><dd>{m.error}</dd></>}
        <dt>To</dt><dd>{m.recipient ?? "–"}</dd>
        <dt>Profile</dt><dd><Link href={profileHref(m.profile_id, m.journey_id)}>{m.profile_id}</Link></dd>
        {m.journey_id && <><dt>Journey</dt><dd><Link href={journeyHref(m.journey_id)}>{m.journey_id}</Link> v{m.version} · {m.node_id}</dd></>}
        {m.campaign_id && <><dt>Campaign</dt><dd>{m.campaign_id}</dd></>}
        <dt>Created</dt><dd><Time at={m.created_at} /></dd>
        <dt>Sent</dt><dd><Time at={m.sent_at} /></dd>
        {m.deferred_until && <><dt>Deferred to</dt><dd><Time at={m.deferred_until} /></dd></>}
      </dl>
      {m.subject && <h3>{m.subject}</h3>}
      {/* The rendered body as text: a message is never run as HTML in the console. */}
      <pre className="rendered" aria-label="Rendered body">{m.body ?? "(no body: nothing was rendered)"}</pre>
    </aside>
  );
}

function Row({ m, chosen, onChoose }: { m: Message; chosen: boolean; onChoose: () => void }) {
  return (
    <tr className={chosen ? "selected-row" : undefined}>
      <td><Time at={m.created_at} /></td>
      <td><Link href={profileHref(m.profile_id)}>{m.profile_id}</Link></td>
      <td>{m.journey_id ?? m.campaign_id ?? "–"}<div className="sub">{m.node_id ?? ""}</div></td>
      <td>{m.channel}</td>
      <td>{m.template}</td>
      <td><span className={`status status-${m.status}`}>{m.status}</span>{m.reason && <div className="sub">{m.reason}</div>}</td>
      <td><button type="button" className="linkish" onClick={onChoose} aria-label={`Show message ${m.message_id}`}>show</button></td>
    </tr>
  );
}

export function MessageLedger() {
  const [filters, setFilters] = useState<MessageFilters>(NO_FILTERS);
  const [chosen, setChosen] = useState<Message | null>(null);
  const load = useCallback(() => messages(messageQuery(filters)), [filters]);
  const state = usePoll(load, 5000);
  return (
    <main className="page">
      <h1>Messages</h1>
      <Filters onSearch={setFilters} />
      <div className="journey-body auto">
        <div className="grow">
          <Loading state={state} what="messages">
            {(page) => page.count === 0 ? <p>No message matches.</p> : (
              <table className="grid" aria-label="Messages">
                <thead><tr><th>Created</th><th>Profile</th><th>Journey / campaign</th><th>Channel</th><th>Template</th><th>Status</th><th><span className="sr-only">Open</span></th></tr></thead>
                <tbody>
                  {page.items.map((m) => <Row key={m.message_id} m={m} chosen={m.message_id === chosen?.message_id} onChoose={() => setChosen(m)} />)}
                </tbody>
              </table>
            )}
          </Loading>
          {state.value?.next_before && <p className="muted">The newest {state.value.count}; narrow the search for older ones.</p>}
        </div>
        {chosen && <Rendered m={chosen} onClose={() => setChosen(null)} />}
      </div>
    </main>
  );
}
