// What happened to the profile, oldest first: events, journey entries and exits, messages,
// audience changes (GET /v1/profiles/{id}/timeline).

import type { TimelineItem } from "../api/types";
import { Time } from "../app/Time";
import { timelineText } from "./timeline";

export function Timeline({ items, onMore }: { items: TimelineItem[]; onMore: (() => void) | null }) {
  if (items.length === 0) return <p className="muted">Nothing happened to this profile yet.</p>;
  return (
    <>
      <ol className="timeline" aria-label="Timeline">
        {items.map((item, i) => (
          <li key={`${item.at}-${item.kind}-${i}`} className={`tl-${item.kind}`}>
            <Time at={item.at} />
            <span className="tl-kind">{item.kind.replace(/_/g, " ")}</span>
            <span>{timelineText(item)}</span>
          </li>
        ))}
      </ol>
      {onMore && <button type="button" onClick={onMore}>Show later items</button>}
    </>
  );
}
