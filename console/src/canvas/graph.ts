// A journey definition as a graph: its nodes with the facts worth showing, and its edges
// named by the branch or path they stand for. Pure: no React, no layout.

import type { JourneyDefinition, JourneyNodeDef, Weighted } from "../api/types";

export interface GraphNode {
  id: string;
  type: string;
  label: string | null;
  facts: string[];
  definition: JourneyNodeDef;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  /** The branch, path or outcome name shown on the edge. */
  label: string;
  /** For split and experiment paths: the name the report counts profiles under. */
  path: string | null;
}

export interface JourneyGraph {
  start: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

type Out = Omit<GraphEdge, "id" | "source">;

const out = (target: string | null | undefined, label: string, path: string | null = null): Out[] =>
  target ? [{ target, label, path }] : [];

const weighted = (paths: Weighted[]): Out[] =>
  paths.flatMap((p) => out(p.next, `${p.name} · ${p.weight}%`, p.name));

function outgoing(node: JourneyNodeDef): Out[] {
  switch (node.type) {
    case "condition":
      return [
        ...node.branches.flatMap((b, i) => out(b.next, `if ${i + 1}: ${b.when}`)),
        ...out(node.otherwise, "otherwise"),
      ];
    case "split":
      return weighted(node.paths);
    case "experiment":
      return [
        ...weighted(node.variants),
        ...out(node.holdout?.next, `holdout · ${node.holdout?.weight ?? 0}%`, "holdout"),
      ];
    case "wait_for_event":
      return [...out(node.on_event, "event"), ...out(node.on_timeout, "timeout")];
    case "action":
    case "fetch":
    case "decide":
      return [...out(node.next, "next"), ...out(node.on_error, "on error")];
    case "end":
      return [];
    default:
      return out(node.next, "next");
  }
}

const quoted = (text: string | null | undefined): string | null => (text ? `"${text}"` : null);

function waitFacts(node: Extract<JourneyNodeDef, { type: "wait" }>): (string | null)[] {
  const weekday = node.next_weekday;
  return [
    node.duration ? `for ${node.duration}` : null,
    node.until ? `until ${node.until}` : null,
    node.until_time ? `until ${node.until_time}` : null,
    weekday ? `next ${weekday.days.join(", ")} at ${weekday.time}` : null,
  ];
}

/** The key facts of a node's configuration, one short line each. */
export function nodeFacts(node: JourneyNodeDef): string[] {
  const facts: (string | null)[] = (() => {
    switch (node.type) {
      case "message":
        return [
          `${node.channel} · ${node.template}`,
          node.quiet_hours ? `quiet ${node.quiet_hours.start}–${node.quiet_hours.end}` : null,
          node.send_time ? `best time to be ${node.send_time.optimize} within ${node.send_time.within ?? "PT24H"}` : null,
        ];
      case "wait":
        return waitFacts(node);
      case "wait_for_event":
        return [
          node.event ? `awaits ${node.event}` : null,
          node.reaction ? `awaits ${node.reaction.kind} of ${node.reaction.to}` : null,
          node.when ? `when ${node.when}` : null,
          `timeout ${node.timeout}`,
        ];
      case "condition":
        return node.branches.map((b) => `if ${b.when}`);
      case "split":
        return [node.paths.map((p) => `${p.name} ${p.weight}%`).join(" / ")];
      case "experiment":
        return [[...node.variants.map((v) => `${v.name} ${v.weight}%`), node.holdout ? `holdout ${node.holdout.weight}%` : ""].filter(Boolean).join(" / ")];
      case "action":
        return [quoted(node.action)];
      case "fetch":
        return [quoted(node.source)];
      case "decide":
        return [`decision ${node.decision}`];
      case "jump":
        return [`to ${node.journey}`, node.end ? "then ends" : null];
      case "update_profile":
        return [...Object.keys(node.set ?? {}).map((k) => `set ${k}`), ...Object.keys(node.increment ?? {}).map((k) => `increment ${k}`)];
      case "end":
        return [];
    }
  })();
  return facts.filter((f): f is string => Boolean(f));
}

export function journeyGraph(definition: JourneyDefinition): JourneyGraph {
  const entries = Object.entries(definition.nodes);
  const nodes = entries.map(([id, node]) => ({
    id,
    type: node.type,
    label: node.description ?? null,
    facts: nodeFacts(node),
    definition: node,
  }));
  const edges = entries.flatMap(([source, node]) =>
    outgoing(node).map((e, i) => ({ ...e, source, id: `${source}->${e.target}#${i}` })),
  );
  return { start: definition.start, nodes, edges };
}
