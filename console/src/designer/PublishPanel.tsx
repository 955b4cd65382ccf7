// Publish with confidence: what the draft changes against the live version (as a graph and
// as YAML), approval where the journey requires it, the new version's number, and how many
// profiles are still on older versions.

import { useMemo, useState } from "react";

import type { JourneyDefinition } from "../api/types";
import { Time } from "../app/Time";
import { useCan } from "../auth/who";
import { DiffCanvas } from "./DiffCanvas";
import { changedPaths, graphDiff, unchanged, yamlDiff, type GraphDiff } from "./diff";
import { approve, publish, requestApproval, setApprovalPolicy, type Approval, type JourneyForPublish } from "./publishApi";
import { olderInFlight, publishBlocker } from "./publishState";
import type { DesignProblem } from "./types";
import { useJourneyForPublish, useNormalized } from "./usePublishData";
import { YamlDiff } from "./YamlDiff";

interface Props {
  journeyId: string;
  definition: unknown;
  problems: DesignProblem[];
  /** Saves the draft; called before publishing or asking for approval. */
  onSaved?: () => Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const asJourney = (d: unknown): JourneyDefinition | null =>
  isObject(d) && isObject(d.nodes) ? (d as unknown as JourneyDefinition) : null;

/** Whether the working copy is the saved draft (the path's id filled in either way). */
function isSaved(journey: JourneyForPublish | null | undefined, definition: unknown, id: string): boolean {
  if (!journey || !isObject(journey.draft) || !isObject(definition)) return false;
  return changedPaths({ ...journey.draft, id }, { ...definition, id }).length === 0;
}

const who = (k: { name: string | null; key_id: string } | null): string => (k ? (k.name ?? k.key_id) : "a deleted key");

function ApprovalState({ approval }: { approval: Approval }) {
  if (approval.state === "approved") {
    return (
      <p className="approval approval-approved">
        Approved by {who(approval.approved_by)} <Time at={approval.approved_at} />
      </p>
    );
  }
  if (approval.state === "requested") {
    return (
      <p className="approval approval-requested">
        Approval requested by {who(approval.requested_by)} <Time at={approval.requested_at} />
      </p>
    );
  }
  return <p className="approval approval-none">Approval not requested yet</p>;
}

function Changes({ diff }: { diff: GraphDiff }) {
  if (unchanged(diff)) return <p className="muted">No changes against the live version.</p>;
  const { nodes, edges, settings } = diff;
  return (
    <ul className="diff-summary" aria-label="Changes">
      {nodes.added.map((id) => <li key={`a-${id}`} className="diff-added">added node {id}</li>)}
      {nodes.removed.map((id) => <li key={`r-${id}`} className="diff-removed">removed node {id}</li>)}
      {nodes.changed.map((c) => (
        <li key={`c-${c.id}`} className="diff-changed">changed node {c.id}: {c.fields.join(", ")}</li>
      ))}
      {edges.added.length + edges.removed.length > 0 && (
        <li>{edges.added.length} edges added, {edges.removed.length} removed</li>
      )}
      {settings.length > 0 && <li className="diff-changed">settings changed: {settings.join(", ")}</li>}
    </ul>
  );
}

function useAction(after: (result: unknown) => void): [(fn: () => Promise<unknown>) => void, boolean, string | null] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = (fn: () => Promise<unknown>): void => {
    setBusy(true);
    setError(null);
    fn()
      .then(after, (e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(false));
  };
  return [run, busy, error];
}

export function PublishPanel({ journeyId, definition, problems, onSaved }: Props) {
  const [tick, setTick] = useState(0);
  const [published, setPublished] = useState<number | null>(null);
  const { journey, live, error: loadError } = useJourneyForPublish(journeyId, tick);
  const withId = useMemo(() => (isObject(definition) ? { ...definition, id: journeyId } : definition), [definition, journeyId]);
  const compared = useNormalized(withId);
  const canApprove = useCan("journeys:approve");
  const [act, busy, actionError] = useAction(() => setTick((t) => t + 1));

  const ready = journey !== undefined && live !== undefined && compared.definition !== undefined;
  const diff = useMemo(() => (ready ? graphDiff(live ?? null, compared.definition) : null), [ready, live, compared.definition]);
  const lines = useMemo(() => (ready ? yamlDiff(live ?? null, compared.definition) : []), [ready, live, compared.definition]);
  const draft = asJourney(compared.definition);
  const approval = journey?.approval ?? null;
  const requiresApproval = journey?.requires_approval ?? false;
  const saved = isSaved(journey, definition, journeyId);
  const blocker = publishBlocker({
    problems: problems.length,
    diff,
    status: journey?.status ?? null,
    liveVersion: journey?.live_version ?? null,
    requiresApproval,
    approval: approval?.state ?? "none",
    saved,
  });
  const older = journey ? olderInFlight(journey.in_flight, journey.live_version) : null;

  const save = async (): Promise<void> => {
    if (onSaved) await onSaved();
  };
  const doPublish = (): void =>
    act(async () => {
      await save();
      setPublished((await publish(journeyId)).version);
    });

  return (
    <section className="publish-panel" aria-label="Publish">
      <header className="publish-head">
        <h2>Publish</h2>
        <span className="sub">
          {journey?.live_version ? `live: version ${journey.live_version}` : journey === null ? "not saved yet" : "never published"}
        </span>
      </header>
      {loadError && <p role="alert">Loading the journey failed: {loadError}</p>}
      {published !== null && <p role="status" className="published">Published version {published}</p>}
      {older && <p className="in-flight" aria-label="Profiles on older versions">{older}</p>}

      <div className="publish-actions">
        <button type="button" onClick={doPublish} disabled={busy || blocker !== null} aria-describedby="publish-why">
          Publish
        </button>
        {blocker && <span id="publish-why" className="publish-why">{blocker}</span>}
      </div>

      {journey && (
        <div className="approval-box" aria-label="Approval">
          <label>
            <input
              type="checkbox"
              checked={requiresApproval}
              disabled={busy}
              onChange={(e) => act(() => setApprovalPolicy(journeyId, e.target.checked))}
            />{" "}
            Require approval before publishing
          </label>
          {requiresApproval && approval && <ApprovalState approval={approval} />}
          {requiresApproval && (approval?.state !== "approved" || !saved) && (
            <div className="publish-actions">
              <button type="button" disabled={busy || problems.length > 0} onClick={() => act(async () => { await save(); await requestApproval(journeyId); })}>
                Request approval
              </button>
              {canApprove && (
                <button type="button" disabled={busy} onClick={() => act(() => approve(journeyId, approval?.draft_updated_at ?? null))}>
                  Approve
                </button>
              )}
            </div>
          )}
        </div>
      )}
      {actionError && <p role="alert" className="publish-error">{actionError}</p>}

      {diff && <Changes diff={diff} />}
      {ready && !compared.exact && (
        <p className="muted">The draft is not valid yet: compared as written, without its defaults.</p>
      )}
      {diff && draft && !unchanged(diff) && <DiffCanvas live={asJourney(live)} draft={draft} diff={diff} />}
      {diff && !unchanged(diff) && <YamlDiff lines={lines} />}
    </section>
  );
}
