// Shapes of the public API's answers that the console reads (see /openapi.json).

export interface Me {
  key_id: string;
  name: string;
  scopes: string[];
  grants: string[];
  /** The Temporal UI's workflow list; a workflow's page is this plus "/<id>". */
  temporal_workflows?: string | null;
}

export interface Page<T> {
  items: T[];
  count: number;
}

export interface JourneyOverview {
  journey_id: string;
  name: string;
  status: string;
  live_version: number | null;
  updated_at: string;
  inside: number;
  entries: number;
  exits: number;
  errored: number;
  error_rate: number | null;
  open_alerts: number;
}

export interface JourneysOverview extends Page<JourneyOverview> {
  window: string;
}

export interface VersionSummary {
  version: number;
  published_at: string;
}

export interface JourneyPublic {
  journey_id: string;
  name: string;
  status: string;
  live_version: number | null;
  draft_updated_at: string | null;
  updated_at: string;
  created_at: string;
  versions: VersionSummary[];
}

export interface JourneyVersion {
  journey_id: string;
  version: number;
  published_at: string;
  definition: JourneyDefinition;
}

export interface MessageCounts {
  sent: number;
  failed: number;
  skipped: number;
  skipped_by_reason: Record<string, number>;
  deferred: number;
  sending: number;
  dry_run: number;
}

export interface PathCounts {
  path: string;
  profiles: number;
  converted: number | null;
  goal_rate: number | null;
}

export interface NodeReport {
  node: string;
  type: string;
  entered: number;
  profiles: number;
  waiting: number | null;
  exited: number;
  exit_criteria: number;
  errored: number;
  timed_out: number;
  messages: MessageCounts | null;
  paths: PathCounts[] | null;
}

export interface JourneyReport {
  journey_id: string;
  version: number;
  goal: string | null;
  since: string | null;
  until: string | null;
  entries: Record<string, number>;
  nodes: NodeReport[];
  generated_at: string;
}

/** One bucket of a node's counts over time; the send counts are null at other than message nodes. */
export interface SeriesBucket {
  start: string;
  entered: number;
  exited: number;
  errored: number;
  sent: number | null;
  failed: number | null;
  skipped: number | null;
}

export interface NodeSeries {
  journey_id: string;
  version: number;
  node: string;
  type: string;
  since: string;
  until: string;
  bucket: string;
  buckets: SeriesBucket[];
}

// The journey definition language (schemas/journey.schema.json), as far as the canvas reads it.

export interface Weighted {
  name: string;
  weight: number;
  next: string;
}

interface NodeBase {
  description?: string | null;
}

export interface MessageNode extends NodeBase {
  type: "message";
  channel: string;
  template: string;
  next: string;
  quiet_hours?: { start: string; end: string; timezone?: string | null } | null;
  send_time?: { optimize: "opened" | "clicked"; within?: string; holdout?: number } | null;
}

export interface WaitNode extends NodeBase {
  type: "wait";
  duration?: string | null;
  until?: string | null;
  until_time?: string | null;
  next_weekday?: { days: string[]; time: string; timezone?: string | null } | null;
  next: string;
}

export interface WaitForEventNode extends NodeBase {
  type: "wait_for_event";
  event?: string | null;
  reaction?: { to: string; kind: string } | null;
  when?: string | null;
  timeout: string;
  on_event: string;
  on_timeout: string;
}

export interface ConditionNode extends NodeBase {
  type: "condition";
  branches: { when: string; next: string }[];
  otherwise: string;
}

export interface SplitNode extends NodeBase {
  type: "split";
  paths: Weighted[];
}

export interface ExperimentNode extends NodeBase {
  type: "experiment";
  variants: Weighted[];
  holdout?: { weight: number; next: string } | null;
}

export interface CallNode extends NodeBase {
  type: "action" | "fetch";
  action?: string;
  source?: string;
  next: string;
  on_error?: string | null;
}

export interface DecideNode extends NodeBase {
  type: "decide";
  decision: string;
  next: string;
  on_error?: string | null;
}

export interface JumpNode extends NodeBase {
  type: "jump";
  journey: string;
  end?: boolean;
  next?: string | null;
}

export interface UpdateProfileNode extends NodeBase {
  type: "update_profile";
  set?: Record<string, string>;
  increment?: Record<string, string>;
  next: string;
}

export interface EndNode extends NodeBase {
  type: "end";
}

export type JourneyNodeDef =
  | MessageNode
  | WaitNode
  | WaitForEventNode
  | ConditionNode
  | SplitNode
  | ExperimentNode
  | CallNode
  | DecideNode
  | JumpNode
  | UpdateProfileNode
  | EndNode;

export interface JourneyDefinition {
  id: string;
  name?: string | null;
  start: string;
  entry?: { event?: string | null; when?: string | null; audience?: { id: string } | null };
  nodes: Record<string, JourneyNodeDef>;
}

export interface Published {
  journey_id: string;
  version: number;
}

// Profiles and the path a profile took (GET /v1/profiles…).

export interface ProfilePublic {
  profile_id: string;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  attributes: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface ProfileMatch extends ProfilePublic {
  matched_by: "id" | "alias" | "email" | "phone";
}

export interface Membership {
  audience_id: string;
  name: string;
  entered_at: string;
}

export interface Subscription {
  channel: string;
  topic: string | null;
  status: string;
  updated_at: string;
}

export interface ProfileJourney {
  run_id: string;
  workflow_id: string;
  journey_id: string;
  version: number;
  status: string;
  reason: string | null;
  entered_at: string;
  ended_at: string | null;
  current_node: string | null;
  state_error: string | null;
}

export interface TimelineItem {
  at: string;
  kind: string;
  data: Record<string, unknown>;
}

export interface TimelinePage extends Page<TimelineItem> {
  next_cursor: string | null;
}

export interface Check {
  expression: string;
  value: unknown;
}

export interface PathMessage {
  message_id: string;
  channel: string;
  template: string;
  status: string;
  reason: string | null;
  error: string | null;
  recipient: string | null;
  subject: string | null;
  created_at: string;
  sent_at: string | null;
  deferred_until: string | null;
}

export interface PathStep {
  node: string;
  type: string;
  visit: number;
  entered_at: string;
  left_at: string | null;
  outcome: string | null;
  detail: string | null;
  checks: Check[];
  message: PathMessage | null;
}

export interface RunPath {
  run_id: string;
  workflow_id: string;
  version: number;
  status: string;
  reason: string | null;
  entered_at: string;
  ended_at: string | null;
  steps: PathStep[];
}

export interface ProfilePath {
  profile_id: string;
  journey_id: string;
  runs: RunPath[];
}

// Campaigns, audiences, the message ledger and alerts.

export interface Campaign {
  id: string;
  name: string;
  kind: string;
  audience_id: string | null;
  channel: string;
  template: string;
  topic: string | null;
  transactional: boolean;
  schedule: { cron: string; timezone: string; end_at?: string | null } | null;
  delivery: Record<string, unknown>;
  status: string;
  requires_approval: boolean;
  approved: boolean;
  approved_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CampaignRun {
  campaign_id: string;
  run_id: string;
  workflow_id: string;
  status: string;
  total: number | null;
  sent: number;
  failed: number;
  skipped: Record<string, number>;
  remaining: number | null;
  started_at: string;
  finished_at: string | null;
}

export interface CampaignSchedule {
  campaign_id: string;
  cron: string;
  timezone: string;
  scheduled: boolean;
  paused: boolean;
  next_runs: string[];
}

export interface Audience {
  audience_id: string;
  name: string;
  description: string | null;
  definition: unknown;
  time_relative: boolean;
  status: string;
  size: number;
  sample: string[];
  created_at: string;
  updated_at: string;
  evaluated_at: string | null;
}

export interface Message {
  message_id: string;
  profile_id: string;
  journey_id: string | null;
  version: number | null;
  node_id: string | null;
  campaign_id: string | null;
  channel: string;
  template: string;
  status: string;
  recipient: string | null;
  subject: string | null;
  body: string | null;
  error: string | null;
  reason: string | null;
  transactional: boolean;
  created_at: string;
  sent_at: string | null;
  deferred_until: string | null;
}

export interface MessagePage extends Page<Message> {
  next_before: string | null;
}

export interface Alert {
  alert_id: number;
  kind: string;
  scope: string;
  status: string;
  opened_at: string;
  resolved_at: string | null;
  value: number;
  peak: number;
  last_value: number;
  threshold: number;
  failures: number;
  samples: number;
  window_seconds: number;
  evaluated_at: string;
}
