// The live counts of the report, by node id, read by each node without a relayout.

import { createContext, useContext } from "react";

import type { NodeReport } from "../api/types";

export const CountsContext = createContext<ReadonlyMap<string, NodeReport>>(new Map());

export const useNodeCounts = (id: string): NodeReport | undefined => useContext(CountsContext).get(id);

export const byNode = (reports: NodeReport[]): Map<string, NodeReport> => new Map(reports.map((r) => [r.node, r]));

/** The headline counts of a node, in the order shown. */
export function countLines(report: NodeReport | undefined): [string, number][] {
  if (!report) return [];
  const lines: [string, number][] = [
    ["waiting", report.waiting ?? 0],
    ["entered", report.entered],
    ["exited", report.exited],
    ["errored", report.errored],
    ["timed out", report.timed_out],
  ];
  const m = report.messages;
  if (m) lines.push(["sent", m.sent], ["failed", m.failed], ["skipped", m.skipped], ["deferred", m.deferred]);
  return lines;
}

export { formatCount } from "../app/format";
