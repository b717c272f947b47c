// An in-process AgentBackend for tests and quick local checks: no OpenCode, no actors. Each agent() call is
// recorded and answered by a function (default `done: <prompt>`); an answer that throws makes agent() resolve null,
// as a failed agent does in a real run. Keeps Claude Code's limits as a real run does: once the optional token budget is
// spent, or past the agent cap (default 1000), agent() throws.
import type { AgentBackend, AgentCall, GateResult } from '../machines/types.js'
import { AgentRefusedError, MAX_AGENTS_PER_RUN } from './errors.js'

export interface InProcessBackendOptions {
  /** Token budget total (null/undefined = no budget). */
  budget?: number | null
  /** Output tokens each answered agent spends (default 0). */
  tokensPerAgent?: number
  /** Agents the run may start (default 1000, Claude Code's cap); the next agent() throws. */
  maxAgents?: number
  /** Answers gate(command); default: ok without running anything. */
  gate?: (command: string, opts?: { timeoutMs?: number }) => GateResult | Promise<GateResult>
}

export type InProcessBackend = AgentBackend & { calls: AgentCall[]; logs: string[]; phases: string[]; gates: string[] }

export function createInProcessBackend(
  answer: (call: AgentCall) => unknown | Promise<unknown> = (call) => `done: ${call.prompt}`,
  options: InProcessBackendOptions = {},
): InProcessBackend {
  const total = options.budget ?? null
  let spent = 0
  const backend: InProcessBackend = {
    calls: [],
    logs: [],
    phases: [],
    gates: [],
    async agent(call) {
      backend.calls.push(call)
      const cap = options.maxAgents ?? MAX_AGENTS_PER_RUN
      if (backend.calls.length > cap) throw new AgentRefusedError(`The run's cap of ${cap} agents was reached, so agent() throws; raise it with --max-agents.`)
      if (total !== null && spent >= total) {
        backend.logs.push(`agent "${call.opts.label ?? call.key}" was refused: the token budget of ${total} is spent.`)
        throw new AgentRefusedError(`The run's token budget of ${total} output tokens is spent, so agent() throws; raise it with --budget.`)
      }
      try {
        const result = await answer(call)
        spent += options.tokensPerAgent ?? 0
        return result
      } catch {
        return null
      }
    },
    phase(title) {
      backend.phases.push(title)
    },
    log(message) {
      backend.logs.push(message)
    },
    budget() {
      return { total, spent }
    },
    async gate(command, opts) {
      backend.gates.push(command)
      if (options.gate) return options.gate(command, opts)
      return { ok: true, exitCode: 0, output: `(in-process backend: "${command}" was not run)` }
    },
  }
  return backend
}
