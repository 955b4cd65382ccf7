// Every problem of the working definition, each with where it is; choosing one takes the
// designer to its node and field (or to the journey settings for the others).

import { useId } from "react";

import type { DesignProblem, DocPath } from "./types";
import { placeOf } from "./validation";
import "./check.css";

export interface ProblemsPanelProps {
  problems: DesignProblem[];
  onSelect: (nodeId: string | null, path: DocPath) => void;
  /** The check's state (useValidation): a check under way, or why it could not be made. */
  checking?: boolean;
  error?: string | null;
}

function Where({ problem }: { problem: DesignProblem }) {
  const { nodeId, field } = placeOf(problem);
  if (nodeId === null) return <span className="problem-where">settings{field && <> · <code>{field}</code></>}</span>;
  return (
    <span className="problem-where">
      node <code>{nodeId}</code>{field && <> · <code>{field}</code></>}
    </span>
  );
}

export function ProblemsPanel({ problems, onSelect, checking = false, error = null }: ProblemsPanelProps) {
  const count = problems.length;
  const heading = useId();
  return (
    <section className="card problems-panel" aria-labelledby={heading}>
      <h2 id={heading}>
        Problems <span className={count ? "problem-count has-problems" : "problem-count"}>{count}</span>
        {checking && <span className="sub"> · checking…</span>}
      </h2>
      {error && <p role="alert" className="problem-error">Could not check the journey: {error}</p>}
      {count === 0 ? (
        <p className="muted">{checking ? "Checking the journey…" : "No problems: the journey can be published."}</p>
      ) : (
        <ul className="problems" aria-label="Problems">
          {problems.map((p, i) => (
            <li key={`${p.path}-${i}`}>
              <button type="button" className="problem" onClick={() => { const { nodeId, path } = placeOf(p); onSelect(nodeId, path); }}>
                <Where problem={p} />
                <span className="problem-message">{p.message}</span>
                <span className="sr-only"> ({p.path || "the whole definition"})</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
