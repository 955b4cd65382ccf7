// Links into the Temporal Web UI, when the server says where it is (GET /v1/me).

import { useContext, type ReactNode } from "react";

import { WhoContext } from "../auth/who";

/** A workflow's page, or the list of workflows a visibility query selects. */
export function temporalHref(base: string, target: { workflow: string } | { query: string }): string {
  return "workflow" in target
    ? `${base}/${encodeURIComponent(target.workflow)}`
    : `${base}?query=${encodeURIComponent(target.query)}`;
}

interface Props {
  target: { workflow: string } | { query: string };
  children: ReactNode;
}

export function TemporalLink({ target, children }: Props) {
  const base = useContext(WhoContext)?.temporal_workflows;
  if (!base) return null;
  return (
    <a className="temporal-link" href={temporalHref(base, target)} target="_blank" rel="noreferrer">
      {children}
    </a>
  );
}
