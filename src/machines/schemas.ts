// The domain's data shapes that are read back from places ocdw does not control (a run directory on disk, a
// script's `agent()` options, a live run's socket), declared once with zod: the validator and the type are the same
// declaration. types.ts re-exports the inferred types, so code that only needs a type keeps importing it from there.
import { z } from 'zod'

export const TokensSchema = z.object({
  input: z.number(),
  output: z.number(),
  reasoning: z.number(),
  cacheRead: z.number(),
  cacheWrite: z.number(),
})
export type Tokens = z.infer<typeof TokensSchema>

/** Status of one agent actor. `skipped` = never started (cap, budget, run stopped before it was queued). */
export const AgentStatusSchema = z.enum(['queued', 'running', 'done', 'failed', 'stopped', 'skipped'])
export type AgentStatus = z.infer<typeof AgentStatusSchema>
export type AgentFinalStatus = Exclude<AgentStatus, 'queued' | 'running'>

/** Status of a run: the workflow actor's top-level state (`running` holds `active` and `paused`). A run exists only
 *  once approved, so there is no approval status (a refused approval starts no run; `--json` then says `denied`).
 *  `interrupted`: ended because the infrastructure failed (server gone, auth refused, model unreachable), resumable;
 *  also how the surfaces list a run whose process died. */
export const RunStatusSchema = z.enum(['running', 'paused', 'completed', 'failed', 'stopped', 'interrupted'])
export type RunStatus = z.infer<typeof RunStatusSchema>

/** The statuses a run ends in. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'stopped', 'interrupted']

/** A tool call seen on an agent's OpenCode session. */
export const ToolCallInfoSchema = z.object({
  id: z.string(),
  tool: z.string(),
  status: z.enum(['pending', 'running', 'completed', 'error']),
  title: z.string().optional(),
  /** The tool's input, JSON, truncated for display. */
  input: z.string().optional(),
  at: z.number(),
})
export type ToolCallInfo = z.infer<typeof ToolCallInfoSchema>

/** `opts` of the script's `agent(prompt, opts)` call (README "A workflow script", docs/PARITY.md): the sandbox
 *  validates a script's options with this schema (src/script/sandbox.ts). */
export const AgentOptionsSchema = z.object({
  label: z.string().optional(),
  phase: z.string().trim().min(1).optional(),
  schema: z.record(z.string(), z.unknown()).optional(),
  model: z.string().trim().min(1).optional(),
  effort: z.string().trim().min(1).optional(),
  agentType: z.string().trim().min(1).optional(),
  isolation: z.literal('worktree').optional(),
  timeoutMs: z.number().positive().optional(),
})
export type AgentOptions = z.infer<typeof AgentOptionsSchema>
