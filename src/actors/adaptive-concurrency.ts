// The run's concurrency governor (issue 17.2): wraps the agent executor, watches each model's answers and adapts how
// many agents may be in flight (AIMD, src/machines/concurrency-control.ts), one controller per model, each under the
// user's cap for that model (`concurrency` in ocdw.json). The workflow machine's semaphore gets the sum of the models'
// limits (CONCURRENCY.SET); a per-model gate here keeps each model within its own.
//
// What ocdw can see of an overload: OpenCode retries a provider's 429/overloaded answers itself (honouring
// retry-after) and reports each retry as a session.status "retry" event (the executor turns it into a `throttled`
// activity); when OpenCode gives up, the assistant message carries the error and the executor retries the agent
// (a `retry` activity naming the error). Either is one overload signal per agent attempt.
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

export function createGovernor(o: GovernorOptions): Governor {
  const caps = o.caps ?? {}
  const start = o.start ?? ADAPTIVE_START
  const ceiling = o.ceiling ?? ADAPTIVE_CEILING
  const models = new Map<string, ModelGate>()
  const modelOf = (call: AgentCall) => call.opts.model?.trim() || o.defaultModel || 'default'

  const gateFor = (name: string): ModelGate => {
    let g = models.get(name)
    if (!g) {
      const cap = capFor(caps, name)
      g = { name, aimd: createAimd({ start: Math.min(start, cap ?? start), max: cap ?? Math.max(ceiling, start) }), active: 0, waiters: [] }
      models.set(name, g)
    }
    return g
  }
  // The default model is known up front: its cap applies from the first agent on.
  if (o.defaultModel) gateFor(o.defaultModel)

  const total = () => (models.size ? [...models.values()].reduce((n, g) => n + slots(g.aimd), 0) : start)
  let reported = total()

  const changed = (g: ModelGate, change: AimdChange) => {
    if (!change) return
    while (g.active < slots(g.aimd) && g.waiters.length) g.waiters.shift()!()
    const now = total()
    if (now === reported) return
    reported = now
    // Cuts are news for the run's log; a step up (every round of healthy answers) only moves the number shown.
    if (change.reason === 'healthy') return o.onLimit(now)
    const because = change.reason === 'overload' ? `${g.name} answered with a rate limit or overload` : `${g.name} is answering more slowly`
    o.onLimit(now, `concurrency ${change.from} -> ${change.to} for ${g.name} (${because}); ${now} agents may run at once`)
  }

  const acquire = (g: ModelGate, signal: AbortSignal): Promise<void> => {
    if (g.active < slots(g.aimd)) {
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
    while (g.active < slots(g.aimd) && g.waiters.length) g.waiters.shift()!()
  }

  return {
    limit: () => reported,
    wrap(executor) {
      return {
        ...executor,
        async run(call, ctx): Promise<ExecResult> {
          // A new model seen: its start adds to the run-wide limit.
          const fresh = !models.has(modelOf(call))
          const g = gateFor(modelOf(call))
          if (fresh && total() !== reported) {
            reported = total()
            o.onLimit(reported, `agents on ${g.name} start at ${slots(g.aimd)} in flight; ${reported} agents may run at once`)
          }
          await acquire(g, ctx.signal)
          const startedAt = Date.now()
          let overloaded = false
          const overload = () => {
            if (overloaded) return
            overloaded = true
            changed(g, onOverload(g.aimd, g.active))
          }
          try {
            const result = await executor.run(call, {
              signal: ctx.signal,
              emit(a) {
                if ((a.type === 'throttled' && isOverloadMessage(a.message)) || (a.type === 'retry' && isOverloadMessage(a.error))) overload()
                ctx.emit(a)
              },
            })
            changed(g, onFinished(g.aimd, g.active, overloaded ? undefined : Date.now() - startedAt))
            return result
          } catch (err) {
            if (!ctx.signal.aborted && isOverloadMessage((err as Error).message)) overload()
            changed(g, onFinished(g.aimd, g.active))
            throw err
          } finally {
            release(g)
          }
        },
      }
    },
  }
}
