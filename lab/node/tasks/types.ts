// The `tasks` and `counters` sections of the cluster state: cross-cluster tasks of the local cluster (transforms,
// anomaly detection jobs + datafeeds, CCR auto-follow patterns and follower indices) and the disruptions they met.
// Types only, so that the cluster state (lab/node/cluster/state.ts) can name them without depending on the task model.
import type { RoleDescriptor } from '../security/model.js';

/** Who a task runs as — captured when it is created or updated, like ES's stored security headers. */
export type TaskOwner =
  | { kind: 'roles'; username: string; roles: string[] }
  | {
      kind: 'api_key';
      username: string;
      id: string;
      name: string;
      role_descriptors: Record<string, RoleDescriptor>;
      limited_by: Array<Record<string, RoleDescriptor>>;
    };

export type TransformState = 'stopped' | 'started' | 'indexing' | 'stopping' | 'failed';
export interface Transform {
  id: string;
  config: Record<string, unknown> & { source: { index: string[] | string }; dest: { index: string } };
  owner: TaskOwner;
  create_time: number;
  version: string;
  state: TransformState;
  reason?: string;
  checkpoint: number;
  lastCheckpointMs?: number;
  failureStreak: number;
}

export type JobState = 'closed' | 'opening' | 'opened' | 'closing' | 'failed';
export interface MlJob {
  job_id: string;
  config: Record<string, unknown>;
  create_time: number;
  state: JobState;
  node?: string;
}

export interface Datafeed {
  datafeed_id: string;
  job_id: string;
  config: Record<string, unknown> & { indices: string[] };
  owner: TaskOwner;
  state: 'started' | 'stopped';
  realTimeConfigured: boolean;
  searchCount: number;
  /** Last error that stopped the datafeed (shown in assignment_explanation). */
  lastError?: string;
  node?: string;
}

export interface AutoFollowPattern {
  name: string;
  remote_cluster: string;
  leader_index_patterns: string[];
  leader_index_exclusion_patterns: string[];
  /** Absent when not given at PUT (followers are then named like their leader). */
  follow_index_pattern?: string;
  /** Index settings for the followers, as given at PUT. */
  settings?: Record<string, unknown>;
  /** Only the follow parameters given at PUT (docs/es-behaviour.md §6); followers get ES's defaults for the rest. */
  parameters?: Partial<FollowParameters>;
  active: boolean;
  owner: TaskOwner;
}

export type FollowParameters = {
  max_read_request_operation_count: number;
  max_read_request_size: string;
  max_outstanding_read_requests: number;
  max_write_request_operation_count: number;
  max_write_request_size: string;
  max_outstanding_write_requests: number;
  max_write_buffer_count: number;
  max_write_buffer_size: string;
  max_retry_delay: string;
  read_poll_timeout: string;
};

export interface Follower {
  follower_index: string;
  remote_cluster: string;
  leader_index: string;
  status: 'active' | 'paused';
  parameters: FollowParameters;
  owner: TaskOwner;
  fatal_exception?: { type: string; reason: string };
  read_exceptions: Array<{ from_seq_no: number; retries: number; exception: { type: string; reason: string } }>;
  operations_read: number;
  successful_read_requests: number;
  failed_read_requests: number;
  lastReadMs?: number;
  /** Created by this auto-follow pattern, if any. */
  pattern?: string;
}

export interface Disruption {
  at: number;
  cluster: string;
  task_type: 'transform' | 'datafeed' | 'follower' | 'auto_follow';
  task_id: string;
  reason: string;
}

export interface TasksState {
  transforms: Record<string, Transform>;
  jobs: Record<string, MlJob>;
  datafeeds: Record<string, Datafeed>;
  autoFollowPatterns: Record<string, AutoFollowPattern>;
  followers: Record<string, Follower>;
  autoFollowStats: {
    failed: number;
    successful: number;
    failedRemoteClusterStateRequests: number;
    recentErrors: Array<{
      leader_index: string;
      timestamp: number;
      auto_follow_exception: { type: string; reason: string };
    }>;
  };
}

export interface CountersState {
  disruptions: number;
  disruption_log: Disruption[];
}
