// An in-process AgentBackend for tests and quick local checks: no OpenCode, no actors. Each agent() call is
// recorded and answered by a function (default `done: <prompt>`); an answer that throws makes agent() resolve null,
// as a failed agent does in a real run. Optionally keeps a token budget so budget() and budget refusals can be tested.
import type { AgentBackend, AgentCall, GateResult } from '../machines/types.js'

export interface InProcessBackendOptions {
  /** Token budget total (null/undefined = no budget). */
  budget?: number | null
  /** Tokens each answered agent spends (default 0). */
  tokensPerAgent?: number
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
      if (total !== null && spent >= total) {
        backend.logs.push(`agent "${call.opts.label ?? call.key}" was skipped: the token budget of ${total} is spent.`)
        return null
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
