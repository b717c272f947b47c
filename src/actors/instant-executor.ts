// An in-process AgentExecutor that answers at once, for unit tests and benchmarks (NOT a production path: real agents
// run on OpenCode through src/opencode/executor.ts). It behaves like an agent: honours abort, reports tokens.
import type { AgentCall, AgentExecutor, ExecResult } from '../machines/types.js'
import { zeroTokens } from '../machines/tokens.js'

export interface InstantExecutorOptions {
  /** Produces the agent's result; throwing makes the agent fail. Default: a deterministic text from the prompt. */
  respond?: (call: AgentCall) => unknown | Promise<unknown>
  /** Milliseconds before answering (0 = next microtask). */
  delayMs?: number
  tokensPerAgent?: { input: number; output: number }
}

export function createInstantExecutor(options: InstantExecutorOptions = {}): AgentExecutor & { calls: number } {
  const tokens = options.tokensPerAgent ?? { input: 10, output: 5 }
  const executor = {
    calls: 0,
    async run(call: AgentCall, ctx: { signal: AbortSignal }): Promise<ExecResult> {
      executor.calls++
      if (options.delayMs) await abortableDelay(options.delayMs, ctx.signal)
      if (ctx.signal.aborted) throw abortError()
      const result = options.respond ? await options.respond(call) : `done: ${call.prompt.slice(0, 40)}`
      if (ctx.signal.aborted) throw abortError()
      return { result, tokens: { ...zeroTokens(), input: tokens.input, output: tokens.output }, cost: 0 }
    },
  }
  return executor
}

function abortError(): Error {
  const err = new Error('The agent was stopped.')
  err.name = 'AbortError'
  return err
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError())
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortError())
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
