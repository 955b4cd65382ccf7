// A moment shown in the viewer's time zone, with UTC on hover.

import { formatClock, formatTime, formatUtc } from "./format";

/** `clock`: the time of day only, where the date is plain from around (a run's steps). */
export function Time({ at, clock = false }: { at: string | null | undefined; clock?: boolean }) {
  if (!at) return <span className="muted">–</span>;
  return (
    <time dateTime={at} title={formatUtc(at)}>
      {clock ? formatClock(at) : formatTime(at)}
    </time>
  );
}
