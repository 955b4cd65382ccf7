// Every campaign with its kind, channel and template, audience, schedule and approval.

import { useCallback } from "react";

import { campaigns } from "../api/endpoints";
import type { Campaign } from "../api/types";
import { Link } from "../app/Link";
import { Loading } from "../app/Loading";
import { campaignHref } from "../app/route";
import { Time } from "../app/Time";
import { usePoll } from "../app/usePoll";

export const approvalText = (c: Campaign): string =>
  !c.requires_approval ? "not required" : c.approved ? "approved" : "awaiting approval";

function Row({ c }: { c: Campaign }) {
  return (
    <tr>
      <td>
        <Link href={campaignHref(c.id)}>{c.id}</Link>
        <div className="sub">{c.name}</div>
      </td>
      <td>{c.kind}</td>
      <td>{c.channel} · {c.template}</td>
      <td>{c.audience_id ?? "–"}</td>
      <td>{c.schedule ? `${c.schedule.cron} (${c.schedule.timezone})` : "–"}</td>
      <td><span className={`status status-${c.status}`}>{c.status}</span></td>
      <td className={c.requires_approval && !c.approved ? "alerting" : undefined}>{approvalText(c)}</td>
      <td><Time at={c.updated_at} /></td>
    </tr>
  );
}

export function CampaignList() {
  const load = useCallback(() => campaigns(), []);
  const state = usePoll(load, 5000);
  return (
    <main className="page">
      <h1>Campaigns</h1>
      <Loading state={state} what="campaigns">
        {(page) => page.count === 0 ? <p>No campaign yet.</p> : (
          <table className="grid">
            <thead>
              <tr><th>Campaign</th><th>Kind</th><th>Channel · template</th><th>Audience</th><th>Schedule</th><th>Status</th><th>Approval</th><th>Updated</th></tr>
            </thead>
            <tbody>{page.items.map((c) => <Row key={c.id} c={c} />)}</tbody>
          </table>
        )}
      </Loading>
    </main>
  );
}
