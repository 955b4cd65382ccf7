// Shapes of the public API's answers that the console reads (see /openapi.json).

export interface Me {
  key_id: string;
  name: string;
  scopes: string[];
  grants: string[];
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
  entries: Record<string, number>;
  nodes: NodeReport[];
  waiting_error: string | null;
  generated_at: string;
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
