// Domain types shared by every layer (machines, actors, script, store, surfaces).
// Types only: no runtime code, so anything may import this file without breaking the one-way import rule. The shapes
// read back from disk or a socket are declared once as zod schemas in schemas.ts; their types are re-exported here.
import type { AgentOptions, AgentFinalStatus, RunStatus, Tokens, ToolCallInfo } from './schemas.js'

export type { AgentOptions, AgentFinalStatus, AgentStatus, RunStatus, Tokens, ToolCallInfo } from './schemas.js'

export type JsonSchema = Record<string, unknown>

/**
 * One `agent()` call as the sandbox hands it to the host: the phase is resolved (opts.phase or the current
 * `phase()`), and `key` is the stable replay key = hash(prompt, schema, model, agentType, effort, phase) + '-' +
 * occurrence number of that hash in the run (src/script/keys.ts).
 */
export interface AgentCall {
  key: string
  prompt: string
  phase: string
  opts: AgentOptions
}

/** The host interface the sandbox calls into. The actor runtime implements it; tests use an in-process one. */
export interface AgentBackend {
  /** Resolves to the agent's text, or parsed object when opts.schema was given; `null` when it failed/stopped/skipped. */
  agent(call: AgentCall): Promise<unknown>
  phase(title: string): void
  log(message: string): void
  /** Token budget: total is null when no budget was set. */
  budget(): { total: number | null; spent: number }
  /** A quality gate: runs a shell command in the project dir. */
  gate(command: string, opts?: { timeoutMs?: number }): Promise<GateResult>
}

/** Finds the source of a saved or bundled workflow for the script's `workflow(nameOrRef, args)`. Throws a
 *  user-facing Error when there is none. */
export type WorkflowResolver = (nameOrRef: string) => Promise<{ name: string; source: string }>

export interface GateShellOptions {
  timeoutMs?: number
  ask?: (command: string) => Promise<'once' | 'always' | 'reject'>
}

export interface GateResult {
  ok: boolean
  exitCode: number
  output: string
}

/** Progress an executor reports while an agent runs. */
export type AgentActivity =
  | { type: 'session'; sessionId: string }
  | { type: 'tool'; call: ToolCallInfo }
  | { type: 'permission'; requestId: string; permission: string; patterns: string[] }
  | { type: 'retry'; attempt: number; error: string }
  | { type: 'stalled'; sinceMs: number }
  /** The provider refused or delayed a request for overload (OpenCode retries it): feeds adaptive concurrency. */
  | { type: 'throttled'; message: string }
  /** Something the user should read once in the run's log (e.g. a model alias that fell back to the default). */
  | { type: 'note'; message: string }

export interface ExecResult {
  /** Final text, or the structured object for schema agents. */
  result: unknown
  tokens: Tokens
  cost: number
  sessionId?: string
}

/**
 * The I/O of one agent actor: run one agent to completion. OpenCode sessions in production
 * (src/opencode/executor.ts); an instant in-process executor for unit tests and benchmarks.
 * Must reject when `signal` aborts (STOP), and reject with an Error whose message says what failed.
 */
export interface AgentExecutor {
  run(call: AgentCall, ctx: { signal: AbortSignal; emit(activity: AgentActivity): void }): Promise<ExecResult>
  /** Answers a permission request an agent raised (surfaced as an `agent.permission` event). */
  replyPermission?(requestId: string, reply: 'once' | 'always' | 'reject'): Promise<void>
  /** Runs a shell command for the script's `gate()` (through the OpenCode server's shell in production). `ask`, when
   *  given, asks the user when the permission rules say "ask" (src/actors/gate-ask.ts); without it such a gate fails. */
  shell?(command: string, opts?: GateShellOptions): Promise<GateResult>
}

/** Events on the runtime's single rxjs stream: feeds the CLI progress, the TUI, the control channel and the journal. */
export type RuntimeEvent =
  | { type: 'run.status'; runId: string; status: RunStatus; error?: string; at: number }
  | { type: 'run.meta'; runId: string; name: string; description?: string; phases: { title: string; detail?: string }[]; at: number }
  | { type: 'phase.started'; title: string; at: number }
  | {
      type: 'agent.queued'
      key: string
      label: string
      phase: string
      prompt: string
      model?: string
      at: number
    }
  | { type: 'agent.started'; key: string; attempt: number; at: number }
  | { type: 'agent.session'; key: string; sessionId: string; at: number }
  | { type: 'agent.tool'; key: string; call: ToolCallInfo; at: number }
  | { type: 'agent.permission'; key: string; requestId: string; permission: string; patterns: string[]; at: number }
  | { type: 'agent.permission.replied'; key: string; requestId: string; reply: 'once' | 'always' | 'reject'; at: number }
  | { type: 'agent.stalled'; key: string; sinceMs: number; at: number }
  | { type: 'agent.retry'; key: string; attempt: number; error: string; at: number }
  | {
      type: 'agent.finished'
      key: string
      status: AgentFinalStatus
      tokens: Tokens
      cost: number
      /** true when answered from the journal on resume (no model call). */
      cached: boolean
      error?: string
      /** First ~200 chars of the result, for lists; the full result is in the run's agents.jsonl. */
      preview?: string
      at: number
    }
  | { type: 'log'; message: string; level?: 'info' | 'warn' | 'error'; at: number }
  /** How many agents may run at once now; 'adaptive' follows the models' answers, 'pinned' is --concurrency. */
  | { type: 'concurrency'; limit: number; mode: 'adaptive' | 'pinned'; at: number }
  | { type: 'run.result'; result: unknown; at: number }

/** Where the runtime's totals land: `--json` summary shape (README "Usage"). */
export interface RunSummary {
  runId: string
  status: Exclude<RunStatus, 'running' | 'paused'>
  result: unknown
  error?: string
  agents: { total: number; done: number; failed: number; stopped: number; cached: number }
  tokens: { input: number; output: number; reasoning: number; total: number }
  elapsedMs: number
  runDir: string
}

/** Control commands: the workflow actor's own events, declared once as a zod schema in control-command.ts. */
export type { ControlCommand } from './control-command.js'
