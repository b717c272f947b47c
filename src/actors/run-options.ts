// What starting (or resuming) a run takes and gives back, and the defaults. Its own file so that run-open.ts and
// runtime.ts both read it without importing each other.
import type { Observable } from 'rxjs'
import type { InspectionEvent, Observer } from 'xstate'
import type { RunView } from '../machines/run-view.js'
import type { AgentExecutor, ControlCommand, GateResult, GateShellOptions, RunSummary, RuntimeEvent, WorkflowResolver } from '../machines/types.js'
import { ADAPTIVE_START } from './adaptive-concurrency.js'
import type { ApprovedSet } from './approved-set.js'
import { DEFAULT_CPU_MS } from '../script/sandbox.js'

export interface StartRunOptions {
  projectDir: string
  /** The script source of a new run. With resumeRunId: an edited script to resume with (it replaces script.js; the
   *  journal answers its unchanged leading calls, the rest run live); omitted, the run's own script.js runs again. */
  script?: string
  args?: unknown
  executor: AgentExecutor
  /** Resume this run instead of starting a new one. */
  resumeRunId?: string
  /** Pins how many agents run at once; without it the limit adapts to the models' answers, from 16. */
  concurrency?: number
  /** The run's default model ('provider/model'), for per-model concurrency caps. */
  defaultModel?: string
  maxAgents?: number
  budget?: number | null
  resolveWorkflow?: WorkflowResolver
  gate?: (command: string, opts?: GateShellOptions) => Promise<GateResult>
  /** xstate inspection observer (the CLI's --inspect passes the Stately inspector's). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void)
  /** What the user approved (script and sub-workflow hashes), recorded in a new run's run.json for resume. */
  approved?: ApprovedSet
  /** Extra fields recorded in run.json's options (model, server, offline...). */
  recordOptions?: Record<string, unknown>
  /** Serve the control channel (default true). */
  control?: boolean
  sandboxLimits?: { memoryBytes?: number; sliceMs?: number; cpuMs?: number }
  /** How often the snapshot and view files are rewritten (ms). */
  snapshotThrottleMs?: number
}

export interface RunHandle {
  runId: string
  runDir: string
  events: Observable<RuntimeEvent>
  view(): RunView
  /** Sends a control command (an actor event) to the run. */
  send(command: ControlCommand): void
  done: Promise<RunSummary>
}

/** Where concurrency starts: agents wait on remote models, not on local CPU, so 16 whatever the core count; without
 *  --concurrency it then adapts to the models' answers (adaptive-concurrency.ts). */
export function defaultConcurrency(): number {
  return ADAPTIVE_START
}

export const DEFAULT_MAX_AGENTS = 1000

/** The script's total VM time: 30 s, or 1 ms per agent the run may have when that is more. Resolving each agent's
 *  promise runs in the VM (~0.1-0.3 ms), so a run raised to 100,000 agents would pass 30 s on bookkeeping alone; a
 *  single stretch without awaiting still stops at 30 s (an endless loop is caught as soon as before). */
export function scriptCpuLimits(maxAgents: number): { cpuMs: number; sliceMs: number } | undefined {
  return maxAgents > DEFAULT_CPU_MS ? { cpuMs: maxAgents, sliceMs: DEFAULT_CPU_MS } : undefined
}
