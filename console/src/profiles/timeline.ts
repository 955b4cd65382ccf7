// One timeline item as a line of text: what the API's `data` says, per kind.

import type { TimelineItem } from "../api/types";

const str = (v: unknown): string => (v === null || v === undefined ? "" : String(v));

export function timelineText({ kind, data }: TimelineItem): string {
  switch (kind) {
    case "event":
      return `${str(data.name)} ${JSON.stringify(data.properties ?? {})}`;
    case "journey_entered":
      return `${str(data.journey_id)} v${str(data.version)}`;
    case "journey_exited":
      return `${str(data.journey_id)} v${str(data.version)}: ${str(data.status)}${data.reason ? ` (${str(data.reason)})` : ""}`;
    case "message":
      return `${str(data.channel)} ${str(data.template)}: ${str(data.status)}${data.reason ? ` (${str(data.reason)})` : ""}${data.journey_id ? ` · ${str(data.journey_id)}/${str(data.node_id)}` : ""}`;
    case "audience_entered":
    case "audience_exited":
      return str(data.audience_id);
    default:
      return JSON.stringify(data);
  }
}
