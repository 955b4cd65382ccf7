// The YAML of the live version against the draft's, line by line, unchanged runs folded.

import type { DiffLine, Hunk } from "./diff";
import { folded } from "./diff";

const SIGN = { same: " ", added: "+", removed: "-" } as const;

function Lines({ lines }: { lines: DiffLine[] }) {
  return (
    <>
      {lines.map((l, i) => (
        <span key={i} className={`diff-line diff-line-${l.tag}`} data-tag={l.tag}>
          {SIGN[l.tag]} {l.text}
        </span>
      ))}
    </>
  );
}

const isSkip = (h: Hunk): h is { skipped: number } => !Array.isArray(h);

export function YamlDiff({ lines }: { lines: DiffLine[] }) {
  const hunks = folded(lines);
  return (
    <pre className="yaml-diff" aria-label="YAML diff">
      {hunks.map((h, i) =>
        isSkip(h) ? (
          <span key={i} className="diff-skip">
            {`  … ${h.skipped} unchanged line${h.skipped === 1 ? "" : "s"}`}
          </span>
        ) : (
          <Lines key={i} lines={h} />
        ),
      )}
    </pre>
  );
}
