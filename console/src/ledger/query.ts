// The message ledger's filters as the query string of GET /v1/messages: empty ones left out.

export interface MessageFilters {
  profile_id: string;
  journey_id: string;
  campaign_id: string;
  channel: string;
  status: string;
}

export const NO_FILTERS: MessageFilters = { profile_id: "", journey_id: "", campaign_id: "", channel: "", status: "" };

export function messageQuery(filters: MessageFilters, before: string | null = null, limit = 50): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v.trim()) params.set(k, v.trim());
  params.set("limit", String(limit));
  if (before) params.set("before", before);
  return params.toString();
}
