// Typed calls of the documented endpoints the console uses.

import { request } from "./client";
import type {
  Alert,
  Audience,
  Campaign,
  CampaignRun,
  CampaignSchedule,
  JourneyPublic,
  JourneyReport,
  JourneysOverview,
  JourneyVersion,
  Me,
  NodeSeries,
  Membership,
  MessagePage,
  Page,
  ProfileJourney,
  ProfileMatch,
  ProfilePath,
  ProfilePublic,
  Published,
  Subscription,
  TimelinePage,
} from "./types";

export const me = (key?: string): Promise<Me> => request<Me>("/v1/me", {}, key);

export const journeysOverview = (window: string): Promise<JourneysOverview> =>
  request(`/v1/reports/journeys?window=${encodeURIComponent(window)}`);

const journeyPath = (id: string): string => `/v1/journeys/${encodeURIComponent(id)}`;

export const journey = (id: string): Promise<JourneyPublic> => request(journeyPath(id));

export const journeyVersion = (id: string, version: number): Promise<JourneyVersion> =>
  request(`${journeyPath(id)}/versions/${version}`);

/** A query string of the parameters given, in order, leaving out the null ones. */
export function query(params: Record<string, string | number | null>): string {
  const given = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== null);
  return given.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
}

export interface ReportOptions {
  since?: string | null;
  goal?: string | null;
}

export const journeyReport = (id: string, version: number, { since = null, goal = null }: ReportOptions = {}): Promise<JourneyReport> =>
  request(`${journeyPath(id)}/report?${query({ version, since, goal })}`);

export const nodeSeries = (id: string, version: number, node: string, since: string, bucket: string): Promise<NodeSeries> =>
  request(`${journeyPath(id)}/nodes/${encodeURIComponent(node)}/series?${query({ version, since, bucket })}`);

export const publishJourney = (id: string): Promise<Published> =>
  request(`${journeyPath(id)}/publish`, { method: "POST" });

export const stopJourney = (id: string): Promise<unknown> =>
  request(`${journeyPath(id)}/stop`, { method: "POST" });

const profilePath = (id: string): string => `/v1/profiles/${encodeURIComponent(id)}`;

export const findProfiles = (text: string): Promise<Page<ProfileMatch>> =>
  request(`/v1/profiles?q=${encodeURIComponent(text)}`);

export const profile = (id: string): Promise<ProfilePublic> => request(profilePath(id));

export const profileAudiences = (id: string): Promise<Page<Membership>> => request(`${profilePath(id)}/audiences`);

export const profileSubscriptions = (id: string): Promise<Page<Subscription>> =>
  request(`${profilePath(id)}/subscriptions`);

export const profileJourneys = (id: string): Promise<Page<ProfileJourney>> => request(`${profilePath(id)}/journeys`);

export const profileTimeline = (id: string, cursor: string | null = null, limit = 200): Promise<TimelinePage> =>
  request(`${profilePath(id)}/timeline?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);

export const profileJourneyPath = (id: string, journeyId: string): Promise<ProfilePath> =>
  request(`${profilePath(id)}/journeys/${encodeURIComponent(journeyId)}`);

const campaignPath = (id: string): string => `/v1/campaigns/${encodeURIComponent(id)}`;

export const campaigns = (): Promise<Page<Campaign>> => request("/v1/campaigns");

export const campaign = (id: string): Promise<Campaign> => request(campaignPath(id));

export const campaignRuns = (id: string): Promise<Page<CampaignRun>> => request(`${campaignPath(id)}/runs`);

export const campaignSchedule = (id: string): Promise<CampaignSchedule> => request(`${campaignPath(id)}/schedule`);

export const startCampaignRun = (id: string): Promise<CampaignRun> =>
  request(`${campaignPath(id)}/runs`, { method: "POST" });

export const approveCampaign = (id: string): Promise<Campaign> =>
  request(`${campaignPath(id)}/approve`, { method: "POST" });

export type RunControl = "pause" | "resume" | "cancel";

export const controlRun = (id: string, run: string, control: RunControl): Promise<CampaignRun> =>
  request(`${campaignPath(id)}/runs/${encodeURIComponent(run)}/${control}`, { method: "POST" });

export const audiences = (): Promise<Page<Audience>> => request("/v1/audiences");

export const messages = (query: string): Promise<MessagePage> => request(`/v1/messages?${query}`);

export const alerts = (status: string): Promise<Page<Alert>> =>
  request(`/v1/alerts${status === "all" ? "" : `?status=${encodeURIComponent(status)}`}`);

export const audience = (id: string): Promise<Audience> => request(`/v1/audiences/${encodeURIComponent(id)}`);
