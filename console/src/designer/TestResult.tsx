// What a test run did: its status, each node visit with its time and the expressions it
// evaluated, the messages it would have sent and the requests it would have made — none
// of which happened.

import { formatValue } from "../app/format";
import { stepSummary } from "../canvas/path";
import type { TestRunResult, TestVisit } from "./checkApi";
import { messagesOf, offsetFrom, requestsOf, visitsOf } from "./testRun";

function Evaluated({ visit }: { visit: TestVisit }) {
  if (visit.checks.length === 0) return <span className="muted">–</span>;
  return (
    <ul className="checks">
      {visit.checks.map((c, i) => (
        <li key={i}>
          <code>{c.expression}</code> = <code className="value">{formatValue(c.value)}</code>
        </li>
      ))}
    </ul>
  );
}

function Visits({ result }: { result: TestRunResult }) {
  const visits = visitsOf(result);
  return (
    <table className="grid steps" aria-label="Test path">
      <thead>
        <tr><th>#</th><th>Node</th><th>Entered</th><th>Way out</th><th>Evaluated</th></tr>
      </thead>
      <tbody>
        {visits.map((v, i) => (
          <tr key={`${v.node}-${v.visit}-${i}`}>
            <td>{i + 1}</td>
            <td><code>{v.node}</code> <span className="sub">{v.type}</span></td>
            <td title={v.entered_at}>{offsetFrom(result.started_at, v.entered_at)}</td>
            <td>{stepSummary({ ...v, message: null })}</td>
            <td><Evaluated visit={v} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Messages({ result }: { result: TestRunResult }) {
  const messages = messagesOf(result.steps);
  if (messages.length === 0) return <p className="muted">No message.</p>;
  return (
    <ul className="plain" aria-label="Rendered messages">
      {messages.map((m, i) => (
        <li key={i} aria-label={`Message of ${m.node ?? "?"}`}>
          <strong>{m.node}</strong> · {m.channel} · {m.template}
          {m.error ? <p className="field-error">Not rendered: {m.error}</p> : (
            <>
              {m.subject !== null && <p>Subject: <strong>{m.subject}</strong></p>}
              <pre>{m.body}</pre>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

function Requests({ result }: { result: TestRunResult }) {
  const calls = requestsOf(result.steps);
  if (calls.length === 0) return <p className="muted">No action or fetch request.</p>;
  return (
    <ul className="plain" aria-label="Requests">
      {calls.map((c, i) => (
        <li key={i} aria-label={`Request of ${c.node ?? "?"}`}>
          <strong>{c.node}</strong> · {c.kind} {c.name}
          {c.error && <p className="field-error">{c.error}</p>}
          {c.request !== null && <pre>{JSON.stringify(c.request, null, 2)}</pre>}
          {c.response !== null && <p className="sub">answered {JSON.stringify(c.response)}</p>}
        </li>
      ))}
    </ul>
  );
}

export function TestResult({ result }: { result: TestRunResult }) {
  return (
    <section className="test-result" aria-label="Test result">
      <p>
        <span className={`status status-${result.status}`}>{result.status}</span>
        {result.reason && <> · {result.reason}</>}
        {result.entered && <span className="sub"> · {result.path.length} visits, ended {offsetFrom(result.started_at, result.ended_at)}</span>}
      </p>
      <p className="nothing-sent">Nothing was sent: messages and requests below are what would have gone out.</p>
      {result.entered && (
        <>
          <h3>Path</h3>
          <Visits result={result} />
          <h3>Messages</h3>
          <Messages result={result} />
          <h3>Action and fetch requests</h3>
          <Requests result={result} />
        </>
      )}
    </section>
  );
}
