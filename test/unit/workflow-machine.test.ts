// The workflow machine on its own: semaphore, cap, budget, pause/resume, stop/restart of agents. The script and the
// executor are small in-process actor logics; no sandbox, no OpenCode.
import { describe, expect, it } from 'vitest'
import { createActor, fromPromise } from 'xstate'
import { provideWorkflow, reconcileSnapshot, runStatusOf } from '../../src/machines/workflow.js'
import type { AgentCall, ExecResult } from '../../src/machines/types.js'

const tokens = { input: 10, output: 5, reasoning: 0, cacheRead: 0, cacheWrite: 0 }
const call = (i: number, phase = 'Main'): AgentCall => ({ key: `k${i}-0`, prompt: `p${i}`, phase, opts: {} })

/** An executor whose agents finish only when the test says so. */
function manualExecutor() {
  const pending = new Map<string, { resolve: (r: ExecResult) => void; reject: (e: Error) => void; signal: AbortSignal }>()
  let maxInFlight = 0
  const execute = fromPromise<ExecResult, { call: AgentCall; attempt: number }>(({ input, signal }) =>
    new Promise((resolve, reject) => {
      pending.set(input.call.key, { resolve, reject, signal })
      maxInFlight = Math.max(maxInFlight, [...pending.values()].filter((p) => !p.signal.aborted).length)
      signal.addEventListener('abort', () => {
        pending.delete(input.call.key)
        reject(new Error('aborted'))
      })
    }),
  )
  return {
    execute,
    pending,
    maxInFlight: () => maxInFlight,
    finish(key: string, result: unknown = `r-${key}`) {
      const p = pending.get(key)!
      pending.delete(key)
      p.resolve({ result, tokens, cost: 0.01 })
    },
  }
}

function start(o: { concurrency?: number; maxAgents?: number; budget?: number | null } = {}) {
  const ex = manualExecutor()
  let endScript!: (v: unknown) => void
  const script = fromPromise<unknown, unknown>(() => new Promise((r) => (endScript = r)))
  const actor = createActor(provideWorkflow({ script, execute: ex.execute }), {
    input: {
      runId: 'wf_test',
      concurrency: o.concurrency ?? 2,
      maxAgents: o.maxAgents ?? 1000,
      budgetTotal: o.budget ?? null,
      meta: { name: 't', phases: [] },
    },
  })
  const emitted: any[] = []
  actor.on('*', (e) => emitted.push(e))
  actor.start()
  actor.send({ type: 'SCRIPT.READY' })
  const tick = () => new Promise((r) => setTimeout(r, 0))
  return { actor, ex, emitted, endScript: (v: unknown) => endScript(v), tick }
}

/** A new actor restored from `actor`'s persisted snapshot (as JSON on disk), whose script never ends. */
function restore(actor: ReturnType<typeof start>['actor']) {
  const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()))
  actor.stop()
  const ex = manualExecutor()
  const script = fromPromise<unknown, unknown>(() => new Promise(() => {}))
  return { ex, restored: createActor(provideWorkflow({ script, execute: ex.execute }), { snapshot: persisted, input: undefined as never }) }
}

describe('workflow machine', () => {
  it('runs at most `concurrency` agents at once, FIFO, and completes with the script result', async () => {
    const { actor, ex, emitted, endScript, tick } = start({ concurrency: 2 })
    for (let i = 0; i < 5; i++) actor.send({ type: 'AGENT.REQUEST', call: call(i) })
    await tick()
    expect([...ex.pending.keys()]).toEqual(['k0-0', 'k1-0'])
    ex.finish('k0-0')
    await tick()
    expect([...ex.pending.keys()]).toEqual(['k1-0', 'k2-0'])
    for (const k of ['k1-0', 'k2-0']) ex.finish(k)
    await tick()
    for (const k of ['k3-0', 'k4-0']) ex.finish(k)
    await tick()
    expect(ex.maxInFlight()).toBe(2)
    const settled = emitted.filter((e) => e.type === 'agent.finished')
    expect(settled.map((e) => e.status)).toEqual(['done', 'done', 'done', 'done', 'done'])
    expect(settled[0].result).toBe('r-k0-0')
    endScript({ ok: 1 })
    await tick()
    expect(runStatusOf(actor.getSnapshot())).toBe('completed')
    expect(actor.getSnapshot().output).toEqual({ result: { ok: 1 } })
  })

  it('refuses agents beyond the cap with a sentence naming the cap and the flag', async () => {
    const { actor, emitted, tick } = start({ maxAgents: 2 })
    for (let i = 0; i < 3; i++) actor.send({ type: 'AGENT.REQUEST', call: call(i) })
    await tick()
    const skipped = emitted.filter((e) => e.type === 'agent.refused')
    expect(skipped).toHaveLength(1)
    expect(skipped[0].key).toBe('k2-0')
    expect(skipped[0].reason).toMatch(/cap of 2 agents.*--max-agents/)
  })

  it('refuses agents once the token budget is spent, counting output tokens only (as Claude Code does)', async () => {
    // Each agent spends input 10 + output 5: a budget of 10 holds one agent's output, not its input.
    const { actor, ex, emitted, tick } = start({ budget: 10 })
    actor.send({ type: 'AGENT.REQUEST', call: call(0) })
    await tick()
    ex.finish('k0-0')
    await tick()
    actor.send({ type: 'AGENT.REQUEST', call: call(1) })
    await tick()
    expect(emitted.filter((e) => e.type === 'agent.refused')).toHaveLength(0)
    ex.finish('k1-0')
    await tick()
    actor.send({ type: 'AGENT.REQUEST', call: call(2) })
    await tick()
    const last = emitted.filter((e) => e.type === 'agent.finished' || e.type === 'agent.refused').at(-1)
    expect(last.type).toBe('agent.refused')
    expect(last.reason).toMatch(/budget of 10 output tokens.*agent\(\) throws.*--budget/)
  })

  it('PAUSE starts no new agent until RESUME', async () => {
    const { actor, ex, tick } = start({ concurrency: 1 })
    actor.send({ type: 'AGENT.REQUEST', call: call(0) })
    actor.send({ type: 'AGENT.REQUEST', call: call(1) })
    await tick()
    actor.send({ type: 'PAUSE' })
    expect(runStatusOf(actor.getSnapshot())).toBe('paused')
    ex.finish('k0-0')
    await tick()
    expect(ex.pending.size).toBe(0)
    actor.send({ type: 'RESUME' })
    await tick()
    expect([...ex.pending.keys()]).toEqual(['k1-0'])
  })

  it('STOP_AGENT aborts a running agent; RESTART_AGENT of the settled agent changes nothing (13.10)', async () => {
    const { actor, ex, emitted, tick } = start()
    actor.send({ type: 'AGENT.REQUEST', call: call(0) })
    await tick()
    const signal = ex.pending.get('k0-0')!.signal
    actor.send({ type: 'STOP_AGENT', key: 'k0-0' })
    await tick()
    expect(signal.aborted).toBe(true)
    expect(emitted.filter((e) => e.type === 'agent.finished').map((e) => e.status)).toEqual(['stopped'])
    actor.send({ type: 'RESTART_AGENT', key: 'k0-0' })
    await tick()
    // Its null was handed to the script: no second attempt, no "queued" pretence.
    expect(emitted.filter((e) => e.type === 'agent.started').map((e) => e.attempt)).toEqual([1])
    expect(emitted.filter((e) => e.type === 'agent.queued')).toHaveLength(1)
    expect(ex.pending.size).toBe(0)
  })

  it('RESTART_AGENT on a running agent starts its session over', async () => {
    const { actor, ex, emitted, tick } = start()
    actor.send({ type: 'AGENT.REQUEST', call: call(0) })
    await tick()
    const first = ex.pending.get('k0-0')!.signal
    actor.send({ type: 'RESTART_AGENT', key: 'k0-0' })
    await tick()
    expect(first.aborted).toBe(true)
    expect(ex.pending.has('k0-0')).toBe(true)
    ex.finish('k0-0', 'again')
    await tick()
    expect(emitted.filter((e) => e.type === 'agent.finished')).toEqual([expect.objectContaining({ status: 'done', result: 'again' })])
  })

  it('STOP ends the run as stopped and aborts running agents', async () => {
    const { actor, ex, tick } = start()
    actor.send({ type: 'AGENT.REQUEST', call: call(0) })
    await tick()
    const signal = ex.pending.get('k0-0')!.signal
    actor.send({ type: 'STOP' })
    await tick()
    expect(runStatusOf(actor.getSnapshot())).toBe('stopped')
    expect(signal.aborted).toBe(true)
  })

  it('a persisted snapshot restores a running run with its phase and agent bookkeeping', async () => {
    const { actor, tick } = start()
    actor.send({ type: 'AGENT.REQUEST', call: call(0, 'Survey') })
    await tick()
    const { restored, ex } = restore(actor)
    restored.start()
    await tick()
    expect(runStatusOf(restored.getSnapshot())).toBe('running')
    expect(restored.getSnapshot().context.agents['k0-0']!.call.phase).toBe('Survey')
    // The agent that was running when the process died runs again.
    expect(ex.pending.has('k0-0')).toBe(true)
  })

  it('15.3 a journal answer (AGENT.CACHED) is announced by the machine and counts toward the cap and the budget', async () => {
    const { actor, emitted, tick } = start({ maxAgents: 2, budget: 10 })
    actor.send({ type: 'AGENT.CACHED', call: call(0, 'Survey'), result: 'from the journal', tokens, cost: 0.01 })
    await tick()
    expect(emitted.map((e) => e.type)).toContain('agent.queued')
    expect(emitted.find((e) => e.type === 'agent.finished')).toMatchObject({ key: 'k0-0', status: 'done', cached: true, result: 'from the journal', tokens })
    expect(actor.getSnapshot().context).toMatchObject({ requested: 1, spent: 5 })
    // The cached agent was never spawned: nothing to run, nothing to stop.
    expect(actor.getSnapshot().children['k0-0']).toBeUndefined()
  })

  it('15.3 RESTORED announces the agents a restored snapshot holds in flight', async () => {
    const { actor, tick } = start({ concurrency: 1 })
    actor.send({ type: 'AGENT.REQUEST', call: call(0) })
    actor.send({ type: 'AGENT.REQUEST', call: call(1) })
    await tick()
    const { restored } = restore(actor)
    const emitted: any[] = []
    restored.on('*', (e) => emitted.push(e))
    restored.start()
    restored.send({ type: 'RESTORED' })
    expect(emitted.map((e) => [e.type, e.key])).toEqual([
      ['agent.queued', 'k0-0'],
      ['agent.started', 'k0-0'],
      ['agent.queued', 'k1-0'],
    ])
  })

  it('15.5 context outside the agent book changes through assign: an earlier snapshot keeps its values', async () => {
    const { actor, ex, tick } = start()
    actor.send({ type: 'AGENT.REQUEST', call: call(0) })
    await tick()
    const before = actor.getSnapshot().context
    ex.finish('k0-0')
    await tick()
    actor.send({ type: 'PAUSE' })
    actor.send({ type: 'CONCURRENCY.SET', limit: 7 })
    const after = actor.getSnapshot().context
    expect(after).toMatchObject({ spent: 5, paused: true, concurrency: 7 })
    expect(before).toMatchObject({ spent: 0, paused: false, concurrency: 2 })
  })

  it('15.5 a snapshot an older ocdw persisted in its unused planning state still restores', async () => {
    const { actor } = start()
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()))
    actor.stop()
    persisted.value = 'planning'
    const ex = manualExecutor()
    let scriptRan = false
    const script = fromPromise<unknown, unknown>(() => {
      scriptRan = true
      return new Promise(() => {})
    })
    const restored = createActor(provideWorkflow({ script, execute: ex.execute }), { snapshot: reconcileSnapshot(persisted, new Set()), input: undefined as never })
    restored.start()
    restored.send({ type: 'SCRIPT.READY' })
    expect(runStatusOf(restored.getSnapshot())).toBe('running')
    expect(scriptRan).toBe(true)
  })
})
