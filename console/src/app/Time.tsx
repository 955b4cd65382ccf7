// A moment shown in the viewer's time zone, with UTC on hover.

import { formatTime, formatUtc } from "./format";

export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">–</span>;
  return (
    <time dateTime={at} title={formatUtc(at)}>
      {formatTime(at)}
    </time>
  );
}
