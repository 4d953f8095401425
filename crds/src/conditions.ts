// Names shared across the project: condition types, condition and event reasons, and the enum value lists
// of the API. The enum lists come from the generated types (the CRD schemas), never written a second time.
import {
  EventTypeValues,
  FindingSpecSeverityValues,
  FindingSpecSourceValues,
  FindingStatusPhaseValues,
  NodeProfileSpecRemediationModeValues,
  NodeProfileStatusNodeStateValues,
  NodeStatusHealthValues,
  NodeStatusProbeStateValues,
  PresetSpecRiskValues,
  RunSpecStepNameValues,
  RunStatusPhaseValues,
  RunStatusStepPhaseValues,
} from './generated/types.js';
import type {
  FindingSpecSeverity,
  FindingSpecSource,
  FindingStatusPhase,
  NodeProfileSpecRemediationMode,
  NodeProfileStatusNodeState,
  NodeStatusHealth,
  NodeStatusProbeState,
  PresetSpecRisk,
  RunSpecStepName,
  RunStatusPhase,
  RunStatusStepPhase,
} from './generated/types.js';

export { CONDITION_STATUSES } from './meta.js';
export type { ConditionStatus } from './meta.js';

/** The condition types every status uses. */
export const CONDITION_TYPES = ['Ready', 'Reconciling', 'Degraded', 'Stalled'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** The condition types by name: `ConditionType.Ready`. */
export const ConditionType: { readonly [T in ConditionType]: T } = {
  /** The object is in its desired state (a Node: its heartbeats arrive). */
  Ready: 'Ready',
  /** The controller is working on bringing the object to its desired state. */
  Reconciling: 'Reconciling',
  /** The object is in its desired state only in part (some nodes drifted, some runs failed). */
  Degraded: 'Degraded',
  /** Progress stopped and waits for a person (a paused rollout, an invalid spec). */
  Stalled: 'Stalled',
};

/** Reasons of conditions and events, in CamelCase as the schemas require. */
export const Reason = {
  // generic
  /** The object reached its desired state. */
  Succeeded: 'Succeeded',
  /** Work towards the desired state is under way. */
  Progressing: 'Progressing',
  /** The last attempt failed. */
  Failed: 'Failed',
  /** The spec cannot be acted on (e.g. a param fails the preset's schema). */
  InvalidSpec: 'InvalidSpec',
  /** A reconcile step threw; it is retried with backoff. */
  ReconcileError: 'ReconcileError',
  /** spec.suspend (NodeProfile) is true. */
  Suspended: 'Suspended',
  // Node
  /** Heartbeats arrive. */
  NodeReady: 'NodeReady',
  /** No heartbeat within the grace period (40 s by default). */
  NodeLost: 'NodeLost',
  /** spec.paused is true: the node gets findings but no runs. */
  NodePaused: 'NodePaused',
  /** The agent restarted during a run; the run is reported Failed and never re-run. */
  AgentRestarted: 'AgentRestarted',
  // NodeProfile
  /** Every matched node is in every declared state. */
  Compliant: 'Compliant',
  /** At least one matched node drifted from a declared state. */
  Drifted: 'Drifted',
  /** A state could not be evaluated (a probe is unknown); neither compliant nor drifted. */
  ProbeUnknown: 'ProbeUnknown',
  /** The selector matches no node. */
  NoMatchingNodes: 'NoMatchingNodes',
  /** A state names a Preset that does not exist. */
  PresetNotFound: 'PresetNotFound',
  /** A run failed: the rollout waits for a person to resume it. */
  RolloutPaused: 'RolloutPaused',
  /** A person resumed a paused rollout. */
  RolloutResumed: 'RolloutResumed',
  /** The canary nodes run first; the others wait for them. */
  CanaryInProgress: 'CanaryInProgress',
  /** Runs are due but wait for the next maintenance window. */
  OutsideMaintenanceWindow: 'OutsideMaintenanceWindow',
  // Preset
  /** spec.params is not a valid JSON schema. */
  InvalidParamsSchema: 'InvalidParamsSchema',
  // Finding and Run
  /** A run waits for a person's approval. */
  AwaitingApproval: 'AwaitingApproval',
  /** A person approved a run. */
  Approved: 'Approved',
  /** An agent claimed the run. */
  Claimed: 'Claimed',
  /** The run's verify step failed. */
  VerifyFailed: 'VerifyFailed',
  /** The run's rollback ran after verify failed. */
  RolledBack: 'RolledBack',
  /** A step exceeded its timeout and was killed. */
  TimedOut: 'TimedOut',
  /** spec.cancel stopped the run. */
  Cancelled: 'Cancelled',
  /** The agent refused a run whose signature is missing or does not verify. */
  SignatureInvalid: 'SignatureInvalid',
  /** The agent refused a run past its spec.expiresAt. */
  Expired: 'Expired',
  /** The finding is no longer detected. */
  Resolved: 'Resolved',
  /** The finding is ignored until status.snoozedUntil. */
  Snoozed: 'Snoozed',
  /** The finding's node stopped reporting it; the staleness sweeper resolved it. */
  Stale: 'Stale',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Finding lifecycle phases: Open → AwaitingApproval → Remediating → Resolved, or Failed, or Snoozed. */
export const FINDING_PHASES = FindingStatusPhaseValues;
export type FindingPhase = FindingStatusPhase;

/** Finding severities, least severe first. */
export const SEVERITIES = FindingSpecSeverityValues;
export type Severity = FindingSpecSeverity;

/** Who reports a finding. */
export const FINDING_SOURCES = FindingSpecSourceValues;
export type FindingSource = FindingSpecSource;

/** Preset risk classes, least risky first. */
export const RISKS = PresetSpecRiskValues;
export type Risk = PresetSpecRisk;

/** Run lifecycle phases. */
export const RUN_PHASES = RunStatusPhaseValues;
export type RunPhase = RunStatusPhase;

/** The phases a run never leaves. */
export const FINAL_RUN_PHASES = ['Succeeded', 'Failed', 'Cancelled', 'RolledBack'] as const satisfies readonly RunPhase[];

/** The steps of a run, in the order they run. */
export const RUN_STEP_NAMES = RunSpecStepNameValues;
export type RunStepName = RunSpecStepName;

/** The phases of one step of a run. */
export const STEP_PHASES = RunStatusStepPhaseValues;
export type StepPhase = RunStatusStepPhase;

/** NodeProfile remediation modes. */
export const REMEDIATION_MODES = NodeProfileSpecRemediationModeValues;
export type RemediationMode = NodeProfileSpecRemediationMode;

/** The state of a profile on one node. */
export const PROFILE_NODE_STATES = NodeProfileStatusNodeStateValues;
export type ProfileNodeState = NodeProfileStatusNodeState;

/** Health buckets (never a numeric score), best first. */
export const HEALTH_BUCKETS = NodeStatusHealthValues;
export type Health = NodeStatusHealth;

/** The states of a probe result: ok with a value, or unknown with a reason. */
export const PROBE_STATES = NodeStatusProbeStateValues;
export type ProbeState = NodeStatusProbeState;

/** Event types (type EventType). */
export const EVENT_TYPES = EventTypeValues;

/** True when `risk` is no riskier than `limit` (e.g. riskAtMost('SAFE', 'CONFIRM')). */
export function riskAtMost(risk: Risk, limit: Risk): boolean {
  return RISKS.indexOf(risk) <= RISKS.indexOf(limit);
}

/** True when a run in this phase is over and never changes again. */
export function isFinalRunPhase(phase: RunPhase | undefined): boolean {
  return phase !== undefined && (FINAL_RUN_PHASES as readonly string[]).includes(phase);
}
