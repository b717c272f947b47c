// Adaptive concurrency (issue 17.2): the pure AIMD controller, the governor that wraps an executor (overload signals,
// per-model caps and gates, the limit it reports), the ocdw.json `concurrency` section, and the runtime wiring
// (adaptive by default from 16, pinned by `concurrency`, the mode in run.json, the limit in the view).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createActor, fromPromise } from 'xstate'
import { provideWorkflow } from '../../src/machines/workflow.js'
import { createAimd, onFinished, onOverload, slots } from '../../src/machines/concurrency-control.js'
import { capFor, createGovernor, isOverloadMessage, loadConcurrencyConfig } from '../../src/actors/adaptive-concurrency.js'
import { startRun } from '../../src/actors/runtime.js'
import type { AgentCall, AgentExecutor, ExecResult } from '../../src/machines/types.js'
import { waitFor } from '../support/wait.js'
import { ZERO_TOKENS } from '../../src/machines/tokens.js'
import { tempDirs } from '../support/temp-dirs.js'

const tempDir = tempDirs('ocdw-conc-')

describe('AIMD controller', () => {
  it('cuts to 70% on overload, ignores the overloads of requests already in flight, and grows one slot per full round', () => {
    const s = createAimd({ start: 16, max: 64 })
    expect(slots(s)).toBe(16)
    expect(onOverload(s, 16)).toEqual({ from: 16, to: 11, reason: 'overload' })
    // The other 15 requests were sent under the old limit: their 429s say nothing new.
    for (let i = 0; i < 5; i++) expect(onOverload(s, 15)).toBeUndefined()
    expect(slots(s)).toBe(11)
    for (let i = 0; i < 16; i++) onFinished(s, 11)
    // Held off for 16 answers, then 11 healthy answers at a full limit add one slot.
    let change
    for (let i = 0; i < 11; i++) change = onFinished(s, 11, 1000) ?? change
    expect(change).toEqual({ from: 11, to: 12, reason: 'healthy' })
    expect(onOverload(s, 12)).toEqual({ from: 12, to: 8, reason: 'overload' })
  })

  it('does not grow while the limit is not in use, and stays within min and max', () => {
    const s = createAimd({ start: 4, max: 5 })
    for (let i = 0; i < 50; i++) onFinished(s, 1, 1000)
    expect(slots(s)).toBe(4)
    for (let i = 0; i < 50; i++) onFinished(s, slots(s), 1000)
    expect(slots(s)).toBe(5)
    for (let i = 0; i < 20; i++) {
      onOverload(s, 1)
      onFinished(s, 1)
    }
    expect(slots(s)).toBe(1)
  })

  it('backs off when answers slow down well past the fastest they have been', () => {
    const s = createAimd({ start: 10, max: 64 })
    for (let i = 0; i < 10; i++) expect(onFinished(s, 5, 1000)).toBeUndefined()
    let change
    for (let i = 0; i < 10 && !change; i++) change = onFinished(s, 5, 5000)
    expect(change).toEqual({ from: 10, to: 4, reason: 'latency' })
  })

  it('never lets slow answers alone take the limit below a quarter of the start', () => {
    const s = createAimd({ start: 16, max: 64 })
    for (let i = 0; i < 10; i++) onFinished(s, 16, 1000)
    for (let i = 0; i < 500; i++) onFinished(s, 1, 60_000 + i * 1000)
    expect(slots(s)).toBe(4)
    expect(onOverload(s, 4)).toEqual({ from: 4, to: 2, reason: 'overload' })
  })
})

const call = (key: string, model?: string): AgentCall => ({ key, prompt: key, phase: 'P', opts: model ? { model } : {} }) as AgentCall
const done: ExecResult = { result: 'ok', tokens: ZERO_TOKENS, cost: 0, sessionId: 's' }

/** An executor whose agents finish when the test says, with the activities the test gives. */
function controlled() {
  const pending = new Map<string, { finish(): void; fail(msg: string): void; emit: (a: any) => void }>()
  const executor: AgentExecutor = {
    run: (c, ctx) =>
      new Promise((resolve, reject) => {
        pending.set(c.key, { finish: () => resolve(done), fail: (m) => reject(new Error(m)), emit: ctx.emit })
      }),
  }
  return { executor, pending }
}

describe('governor', () => {
  it('lowers the run-wide limit on a throttled or rate-limited retry, once per agent, and says why', async () => {
    const limits: number[] = []
    const why: string[] = []
    const gov = createGovernor({ defaultModel: 'p/m', onLimit: (l, w) => (limits.push(l), why.push(w)) })
    expect(gov.limit()).toBe(16)
    const { executor, pending } = controlled()
    const wrapped = gov.wrap(executor)
    const signal = new AbortController().signal
    const runs = Array.from({ length: 10 }, (_, i) => wrapped.run(call(`a${i}`), { signal, emit: () => {} }))
    await new Promise((r) => setImmediate(r))
    pending.get('a0')!.emit({ type: 'throttled', message: 'Rate limit reached for the model' })
    pending.get('a0')!.emit({ type: 'throttled', message: 'Rate limit reached for the model' })
    expect(limits).toEqual([7])
    expect(why[0]).toMatch(/concurrency 16 -> 7 for p\/m \(p\/m answered with a rate limit or overload\)/)
    // A retry for a plain server error is not an overload.
    pending.get('a1')!.emit({ type: 'retry', attempt: 2, error: 'OpenCode answered the prompt with an error (HTTP 500: boom).' })
    expect(limits).toEqual([7])
    for (const p of pending.values()) p.finish()
    await Promise.all(runs)
  })

  it('holds agents of a capped model at its gate and lets the next one in as one finishes', async () => {
    const gov = createGovernor({ defaultModel: 'p/m', caps: { 'p/small': 2 }, onLimit: () => {} })
    const { executor, pending } = controlled()
    const wrapped = gov.wrap(executor)
    const signal = new AbortController().signal
    const runs = ['s0', 's1', 's2'].map((k) => wrapped.run(call(k, 'p/small'), { signal, emit: () => {} }))
    await new Promise((r) => setImmediate(r))
    expect([...pending.keys()]).toEqual(['s0', 's1'])
    expect(gov.limit()).toBe(18) // 16 for p/m, 2 for p/small
    pending.get('s0')!.finish()
    await runs[0]
    await new Promise((r) => setImmediate(r))
    expect([...pending.keys()]).toContain('s2')
    pending.get('s1')!.finish()
    pending.get('s2')!.finish()
    await Promise.all(runs)
  })

  it('lets a stopped agent leave the gate', async () => {
    const gov = createGovernor({ caps: { p: 1 }, defaultModel: 'p/m', onLimit: () => {} })
    const { executor, pending } = controlled()
    const wrapped = gov.wrap(executor)
    const first = wrapped.run(call('a'), { signal: new AbortController().signal, emit: () => {} })
    const stop = new AbortController()
    const second = wrapped.run(call('b'), { signal: stop.signal, emit: () => {} })
    stop.abort()
    await expect(second).rejects.toThrow(/stopped/)
    await new Promise((r) => setImmediate(r))
    pending.get('a')!.finish()
    await first
    expect(pending.has('b')).toBe(false)
  })
})

describe('concurrency config', () => {
  it('reads per-model and per-provider caps from .opencode/ocdw.json and names bad entries', () => {
    const dir = tempDir()
    mkdirSync(join(dir, '.opencode'))
    writeFileSync(join(dir, '.opencode', 'ocdw.json'), JSON.stringify({ concurrency: { 'Anthropic/claude-opus-4-5': 4, openai: 8, bad: 0 } }))
    const c = loadConcurrencyConfig(dir)
    expect(c.caps).toEqual({ 'anthropic/claude-opus-4-5': 4, openai: 8 })
    expect(c.problems).toEqual([expect.stringMatching(/"concurrency.bad" in .*ocdw.json must be a whole number of 1 or more, so it is ignored\./)])
    expect(capFor(c.caps, 'anthropic/claude-opus-4-5')).toBe(4)
    expect(capFor(c.caps, 'openai/gpt-5')).toBe(8)
    expect(capFor(c.caps, 'google/gemini')).toBeUndefined()
  })

  it('knows an overload message from another error', () => {
    expect(isOverloadMessage('HTTP 429: Too Many Requests')).toBe(true)
    expect(isOverloadMessage('Overloaded')).toBe(true)
    expect(isOverloadMessage('The offline model failed on purpose')).toBe(false)
  })
})

const FANOUT = (n: number) => `export const meta = { name: 'fan' }
return (await parallel(Array.from({ length: ${n} }, (_, i) => () => agent('item ' + i)))).length
`

describe('runtime concurrency modes', () => {
  it('adapts from 16 by default, lowers the limit on overloads, records the mode and shows the limit in the view', async () => {
    const projectDir = tempDir()
    let inFlight = 0
    let most = 0
    let throttledOnce = false
    let limitNow = 16
    let started = 0
    const overLimit: string[] = []
    const executor: AgentExecutor = {
      async run(c, ctx) {
        inFlight++
        most = Math.max(most, inFlight)
        // An agent the machine starts after a cut finds at most the new limit in flight (itself included).
        if (inFlight > limitNow) overLimit.push(`${c.key}: ${inFlight} in flight at limit ${limitNow}`)
        // Once all 16 started, one of them meets a rate limit (as OpenCode's retry would report it).
        await new Promise((r) => setTimeout(r, 2))
        if (inFlight > 5 && !throttledOnce) {
          throttledOnce = true
          ctx.emit({ type: 'throttled', message: 'Rate limit reached' })
        }
        // Staggered finishes, so the machine refills one slot at a time (all at once would empty the executor first).
        await new Promise((r) => setTimeout(r, 5 + (started++ % 8) * 4))
        inFlight--
        return done
      },
    }
    const run = await startRun({ projectDir, script: FANOUT(40), executor, defaultModel: 'p/m', control: false })
    const limits: number[] = []
    run.events.subscribe((ev) => {
      if (ev.type !== 'concurrency') return
      limits.push(ev.limit)
      limitNow = ev.limit
    })
    const summary = await run.done
    expect(summary.agents.done).toBe(40)
    expect(overLimit).toEqual([])
    expect(most).toBe(16)
    expect(limits[0]).toBeLessThan(16)
    expect(run.view().concurrency).toMatchObject({ mode: 'adaptive' })
    expect(run.view().log.some((l) => /concurrency 16 -> 11 for p\/m/.test(l.message))).toBe(true)
    const runFile = JSON.parse(readFileSync(join(summary.runDir, 'run.json'), 'utf8'))
    expect(runFile.options).toMatchObject({ concurrency: 16, concurrencyMode: 'adaptive' })
  })

  it("caps the default model from .opencode/ocdw.json: the run starts at the cap and never runs more", async () => {
    const projectDir = tempDir()
    mkdirSync(join(projectDir, '.opencode'))
    writeFileSync(join(projectDir, '.opencode', 'ocdw.json'), JSON.stringify({ concurrency: { 'p/m': 3 } }))
    let inFlight = 0
    let most = 0
    const executor: AgentExecutor = {
      async run() {
        inFlight++
        most = Math.max(most, inFlight)
        await new Promise((r) => setTimeout(r, 5))
        inFlight--
        return done
      },
    }
    const run = await startRun({ projectDir, script: FANOUT(12), executor, defaultModel: 'p/m', control: false })
    const summary = await run.done
    expect(summary.agents.done).toBe(12)
    expect(most).toBe(3)
    expect(run.view().concurrency).toEqual({ limit: 3, mode: 'adaptive' })
  })

  it('keeps a pinned concurrency whatever the answers say', async () => {
    const projectDir = tempDir()
    let inFlight = 0
    let most = 0
    const executor: AgentExecutor = {
      async run(_c, ctx) {
        inFlight++
        most = Math.max(most, inFlight)
        ctx.emit({ type: 'throttled', message: 'Rate limit reached' })
        await new Promise((r) => setTimeout(r, 5))
        inFlight--
        return done
      },
    }
    const run = await startRun({ projectDir, script: FANOUT(20), executor, concurrency: 3, control: false })
    const summary = await run.done
    expect(summary.agents.done).toBe(20)
    expect(most).toBe(3)
    expect(run.view().concurrency).toEqual({ limit: 3, mode: 'pinned' })
    expect(run.view().log.some((l) => /^concurrency /.test(l.message))).toBe(false)
    expect(JSON.parse(readFileSync(join(summary.runDir, 'run.json'), 'utf8')).options).toMatchObject({ concurrency: 3, concurrencyMode: 'pinned' })
  })
})

describe('where the limit shows', () => {
  it('the CLI progress header and the TUI run header show the limit and its mode', async () => {
    const { concurrencyLine } = await import('../../src/cli/progress.js')
    const { runHeader } = await import('../../src/tui/view-model.js')
    const { emptyRunView } = await import('../../src/machines/run-view.js')
    expect(concurrencyLine({ limit: 7, mode: 'adaptive' })).toMatch(/^concurrency 7 \(adaptive: .*--concurrency N\)$/)
    expect(concurrencyLine({ limit: 3, mode: 'pinned' })).toBe('concurrency 3 (pinned by --concurrency)')
    const view = emptyRunView('wf_x', 'demo')
    view.concurrency = { limit: 9, mode: 'adaptive' }
    expect(runHeader(view, Date.now())).toMatch(/ {2}concurrency 9 \(adaptive\)$/)
  })
})

describe('workflow machine CONCURRENCY.SET', () => {
  it('moves the semaphore: a lower limit starts nothing until running drops under it, a higher one starts at once', async () => {
    const pending = new Map<string, () => void>()
    const execute = fromPromise<ExecResult, { call: AgentCall; attempt: number }>(({ input }) => new Promise((r) => pending.set(input.call.key, () => r(done))))
    const script = fromPromise<unknown, unknown>(() => new Promise(() => {}))
    const actor = createActor(provideWorkflow({ script, execute }), {
      input: { runId: 'wf_t', concurrency: 4, maxAgents: 100, budgetTotal: null, meta: { name: 't', phases: [] } },
    })
    actor.start()
    actor.send({ type: 'SCRIPT.READY' })
    for (let i = 0; i < 10; i++) actor.send({ type: 'AGENT.REQUEST', call: call(`k${i}`) })
    const tick = () => new Promise((r) => setTimeout(r, 0))
    const running = () => actor.getSnapshot().context.running.length
    await tick()
    expect(running()).toBe(4)
    actor.send({ type: 'CONCURRENCY.SET', limit: 2 })
    expect(running()).toBe(4)
    for (const key of ['k0', 'k1']) {
      pending.get(key)!()
      pending.delete(key)
    }
    await tick()
    expect(running()).toBe(2)
    pending.get('k2')!()
    pending.delete('k2')
    await tick()
    // 1 left running under a limit of 2: one more starts, not three.
    expect(running()).toBe(2)
    actor.send({ type: 'CONCURRENCY.SET', limit: 5 })
    expect(running()).toBe(5)
    actor.stop()
  })
})

describe('offline model maxInFlight', () => {
  it('answers 429 with retry-after-ms past maxInFlight chat requests in flight, and serves the rest', async () => {
    const { startOfflineModel } = await import('../../src/offline/server.js')
    const log = join(tempDir(), 'model.log')
    const model = await startOfflineModel({ rules: { rules: [], latencyMs: 300, maxInFlight: 2, rateLimitRetryAfterMs: 123 }, logFile: log })
    try {
      const ask = (i: number) =>
        fetch(`${model.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'offline', messages: [{ role: 'user', content: `q${i}` }] }),
        })
      const answers = await Promise.all([0, 1, 2, 3].map(ask))
      const statuses = answers.map((r) => r.status).sort()
      expect(statuses).toEqual([200, 200, 429, 429])
      const limited = answers.find((r) => r.status === 429)!
      expect(limited.headers.get('retry-after-ms')).toBe('123')
      expect((await limited.json()).error.message).toMatch(/more than 2 requests in flight/)
      expect(model.stats.rateLimited).toBe(2)
      // Once the first two are answered (their bodies read, their sockets closed), requests are served again.
      await Promise.all(answers.filter((r) => !r.bodyUsed).map((r) => r.text()))
      await waitFor('a request served after the first two were answered', async () => (await ask(9)).status === 200)
      const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      expect(lines.filter((l) => l.status === 200).every((l) => l.inFlight <= 2 && typeof l.startedAt === 'string')).toBe(true)
    } finally {
      await model.stop()
    }
  })
})
