// The run's concurrency governor (issue 17.2): wraps the agent executor, watches each model's answers and adapts how
// many agents may be in flight (AIMD, src/machines/concurrency-control.ts), one controller per model, each under the
// user's cap for that model (`concurrency` in ocdw.json). The workflow machine's semaphore gets the sum of the models'
// limits (CONCURRENCY.SET); a per-model gate here keeps each model within its own.
//
// What ocdw can see of an overload: OpenCode retries a provider's 429/overloaded answers itself (honouring
// retry-after) and reports each retry as a session.status "retry" event (the executor turns it into a `throttled`
// activity); when OpenCode gives up, the assistant message carries the error and the executor retries the agent
// (a `retry` activity naming the error). Either is one overload signal per agent attempt.
//
// With a pool of OpenCode servers (opencode/server-pool.ts), every limit is per server: a model's slots times the
// servers that answer now, so three servers run three times the agents, and a server that goes out takes its share
// of the limit with it (and brings it back when it rejoins).
import type { AgentCall, AgentExecutor, ExecResult } from '../machines/types.js'
import { createAimd, onFinished, onOverload, slots, type AimdChange, type AimdState } from '../machines/concurrency-control.js'
import { configSection, readOcdwConfigs } from '../store/ocdw-config.js'

/** Where an adaptive run starts, whatever the core count: agents wait on remote models, not on local CPU. */
export const ADAPTIVE_START = 16
/** The most an adaptive model grows to without a user cap. */
export const ADAPTIVE_CEILING = 64

/** Errors that mean "the provider is overloaded or rate-limiting us", not "this request is wrong". */
const OVERLOAD = /\b429\b|\b529\b|\b503\b|rate[ _-]?limit|too many requests|overloaded|capacity|quota|throttl/i

export function isOverloadMessage(text: string | undefined): boolean {
  return !!text && OVERLOAD.test(text)
}

export interface ConcurrencyConfig {
  /** 'provider/model' or 'provider' -> the most agents in flight on it. */
  caps: Record<string, number>
  problems: string[]
}

/** Reads `concurrency` from the user's then the project's ocdw.json (the project's entries win). Never throws. */
export function loadConcurrencyConfig(projectDir: string): ConcurrencyConfig {
  const out: ConcurrencyConfig = { caps: {}, problems: [] }
  for (const file of readOcdwConfigs(projectDir)) {
    // A file that is not JSON is reported once, by model-alias.ts.
    const path = file.path
    const section = configSection(file, 'concurrency')
    if (section === undefined) continue
    if (!section || typeof section !== 'object' || Array.isArray(section)) {
      out.problems.push(`"concurrency" in ${path} must be an object like { "provider/model": 8 }, so it is ignored.`)
      continue
    }
    for (const [name, value] of Object.entries(section as Record<string, unknown>)) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        out.problems.push(`"concurrency.${name}" in ${path} must be a whole number of 1 or more, so it is ignored.`)
        continue
      }
      out.caps[name.trim().toLowerCase()] = value
    }
  }
  return out
}

/** The user's cap for a model: its own entry, else its provider's. */
export function capFor(caps: Record<string, number>, model: string): number | undefined {
  const lower = model.toLowerCase()
  return caps[lower] ?? caps[lower.slice(0, Math.max(0, lower.indexOf('/')))]
}

export interface GovernorOptions {
  /** The run's default model ('provider/model'): agents without a model option run on it. */
  defaultModel?: string
  caps?: Record<string, number>
  start?: number
  ceiling?: number
  /** The run-wide limit changed (the sum over the models seen); `why`, when set, is one line for the run's log. */
  onLimit(limit: number, why?: string): void
}

interface ModelGate {
  name: string
  aimd: AimdState
  active: number
  waiters: (() => void)[]
}

export interface Governor {
  /** The run-wide limit now. */
  limit(): number
  wrap(executor: AgentExecutor): AgentExecutor
}

/** What the governor sees of an executor's pool of servers (opencode/executor.ts `pool`). */
interface PoolView {
  live(): number
  size: number
  onChange(listener: () => void): () => void
}

const poolOf = (executor: AgentExecutor): PoolView | undefined => (executor as { pool?: PoolView }).pool

/** The per-model gates: each lets `slots x servers` agents of its model through, the rest wait in order. */
function createModelGates(o: GovernorOptions, scale: () => number) {
  const caps = o.caps ?? {}
  const start = o.start ?? ADAPTIVE_START
  const ceiling = o.ceiling ?? ADAPTIVE_CEILING
  const models = new Map<string, ModelGate>()
  const open = (g: ModelGate) => slots(g.aimd) * scale()
  const gateFor = (name: string): ModelGate => {
    let g = models.get(name)
    if (!g) {
      const cap = capFor(caps, name)
      g = { name, aimd: createAimd({ start: Math.min(start, cap ?? start), max: cap ?? Math.max(ceiling, start) }), active: 0, waiters: [] }
      models.set(name, g)
    }
    return g
  }
  const wake = (g: ModelGate) => {
    while (g.active < open(g) && g.waiters.length) g.waiters.shift()!()
  }
  const acquire = (g: ModelGate, signal: AbortSignal): Promise<void> => {
    if (g.active < open(g)) {
      g.active++
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        signal.removeEventListener('abort', stop)
        g.active++
        resolve()
      }
      const stop = () => {
        const i = g.waiters.indexOf(go)
        if (i >= 0) g.waiters.splice(i, 1)
        reject(new Error('The agent was stopped.'))
      }
      if (signal.aborted) return stop()
      g.waiters.push(go)
      signal.addEventListener('abort', stop, { once: true })
    })
  }
  const release = (g: ModelGate) => {
    g.active--
    wake(g)
  }
  /** The run-wide limit: every model's slots, times the servers that answer. */
  const total = () => (models.size ? [...models.values()].reduce((n, g) => n + slots(g.aimd), 0) : start) * scale()
  return { models, gateFor, acquire, release, wake, total, wakeAll: () => models.forEach(wake) }
}

export function createGovernor(o: GovernorOptions): Governor {
  let pool: PoolView | undefined
  const scale = () => Math.max(1, pool?.live() ?? 1)
  const gates = createModelGates(o, scale)
  const modelOf = (call: AgentCall) => call.opts.model?.trim() || o.defaultModel || 'default'
  // The default model is known up front: its cap applies from the first agent on.
  if (o.defaultModel) gates.gateFor(o.defaultModel)
  let reported = gates.total()
  const report = (why?: string) => {
    const now = gates.total()
    if (now === reported) return
    reported = now
    o.onLimit(now, why?.replace('{limit}', String(now)))
  }

  const changed = (g: ModelGate, change: AimdChange) => {
    if (!change) return
    gates.wake(g)
    // Cuts are news for the run's log; a step up (every round of healthy answers) only moves the number shown.
    if (change.reason === 'healthy') return report()
    const because = change.reason === 'overload' ? `${g.name} answered with a rate limit or overload` : `${g.name} is answering more slowly`
    report(`concurrency ${change.from} -> ${change.to} for ${g.name}${pool && pool.size > 1 ? ' per server' : ''} (${because}); {limit} agents may run at once`)
  }

  async function governed(executor: AgentExecutor, call: AgentCall, ctx: Parameters<AgentExecutor['run']>[1]): Promise<ExecResult> {
    // A new model seen: its start adds to the run-wide limit.
    const fresh = !gates.models.has(modelOf(call))
    const g = gates.gateFor(modelOf(call))
    if (fresh) report(`agents on ${g.name} start at ${slots(g.aimd)} in flight${pool && pool.size > 1 ? ' per server' : ''}; {limit} agents may run at once`)
    await gates.acquire(g, ctx.signal)
    const startedAt = Date.now()
    let overloaded = false
    // The AIMD controller reasons per server: how many of this model's agents each server has in flight.
    const inFlight = () => Math.ceil(g.active / scale())
    const overload = () => {
      if (overloaded) return
      overloaded = true
      changed(g, onOverload(g.aimd, inFlight()))
    }
    try {
      const result = await executor.run(call, {
        signal: ctx.signal,
        emit(a) {
          if ((a.type === 'throttled' && isOverloadMessage(a.message)) || (a.type === 'retry' && isOverloadMessage(a.error))) overload()
          ctx.emit(a)
        },
      })
      changed(g, onFinished(g.aimd, inFlight(), overloaded ? undefined : Date.now() - startedAt))
      return result
    } catch (err) {
      if (!ctx.signal.aborted && isOverloadMessage((err as Error).message)) overload()
      changed(g, onFinished(g.aimd, inFlight()))
      throw err
    } finally {
      gates.release(g)
    }
  }

  return {
    limit: () => reported,
    wrap(executor) {
      pool = poolOf(executor)
      if (pool && pool.size > 1) {
        reported = gates.total()
        pool.onChange(() => {
          gates.wakeAll()
          report(`${pool!.live()} of ${pool!.size} OpenCode servers answer; {limit} agents may run at once`)
        })
      }
      return { ...executor, run: (call, ctx) => governed(executor, call, ctx) }
    },
  }
}
