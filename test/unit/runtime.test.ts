// The actor runtime end to end against the in-process instant executor (a test double behind the AgentExecutor
// interface; the real OpenCode executor is covered in test/e2e). Checks wiring: script -> actors -> disk -> resume.
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createInstantExecutor } from '../../src/actors/instant-executor.js'
import { startRun } from '../../src/actors/runtime.js'
import { readJournal } from '../../src/store/journal.js'
import { tempDirs } from '../support/temp-dirs.js'

const project = tempDirs('ocdw-rt-')

const FANOUT = `export const meta = { name: 'fanout', phases: [{ title: 'One' }, { title: 'Two' }] }
phase('One')
const xs = await parallel([1, 2, 3, 4, 5].map((i) => () => agent('item ' + i, { label: 'item ' + i })))
phase('Two')
const ys = await pipeline(xs, (x, item, i) => agent('review ' + i + ': ' + x))
log('reviewed ' + ys.length)
return { xs, ys }
`

describe('runtime with the instant executor', () => {
  it('runs a two-phase script, writes the run files, and counts per phase', async () => {
    const projectDir = project()
    const run = await startRun({ projectDir, script: FANOUT, executor: createInstantExecutor(), concurrency: 2, control: false })
    const summary = await run.done
    expect(summary.status).toBe('completed')
    expect(summary.agents).toMatchObject({ total: 10, done: 10, failed: 0, cached: 0 })
    expect(summary.tokens.input).toBe(100)
    const view = run.view()
    expect(view.phases.map((p) => [p.title, p.counts.done])).toEqual([
      ['One', 5],
      ['Two', 5],
    ])
    for (const f of ['script.js', 'run.json', 'journal.jsonl', 'snapshot.json', 'result.json', 'report.md', 'view.json']) {
      expect(existsSync(join(run.runDir, f)), f).toBe(true)
    }
    // One record per agent in the run's agent store, no file per agent.
    expect(readFileSync(join(run.runDir, 'agents.jsonl'), 'utf8').trim().split('\n')).toHaveLength(10)
    expect(existsSync(join(run.runDir, 'agents'))).toBe(false)
    expect(JSON.parse(readFileSync(join(run.runDir, 'result.json'), 'utf8')).xs).toHaveLength(5)
    expect(view.log.some((l) => l.message === 'reviewed 5')).toBe(true)
  })

  it('resume answers completed agents from the journal without calling the executor', async () => {
    const projectDir = project()
    const first = createInstantExecutor()
    const run = await startRun({ projectDir, script: FANOUT, executor: first, control: false })
    const s1 = await run.done
    const second = createInstantExecutor()
    const resumed = await startRun({ projectDir, resumeRunId: run.runId, executor: second, control: false })
    const s2 = await resumed.done
    expect(second.calls).toBe(0)
    expect(s2.agents).toMatchObject({ total: 10, cached: 10 })
    expect(s2.result).toEqual(s1.result)
  })

  it('a failed agent resolves null and the run goes on', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'f' }
const a = await agent('ok')
const b = await agent('boom')
return { a, b }`
    const executor = createInstantExecutor({
      respond: (call) => {
        if (call.prompt === 'boom') throw new Error('model exploded')
        return 'fine'
      },
    })
    const run = await startRun({ projectDir, script, executor, control: false })
    const s = await run.done
    expect(s.status).toBe('completed')
    expect(s.result).toEqual({ a: 'fine', b: null })
    expect(s.agents).toMatchObject({ done: 1, failed: 1 })
    const { entries } = readJournal(run.runDir)
    expect(entries.some((e: any) => e.t === 'agent.failed' && /model exploded/.test(e.error))).toBe(true)
  })

  it('enforces the agent cap: agents beyond it resolve null and the log says why', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'cap' }
const xs = await parallel(Array.from({ length: 8 }, (_, i) => () => agent('x' + i)))
return xs.filter((x) => x === null).length`
    const run = await startRun({ projectDir, script, executor: createInstantExecutor(), maxAgents: 5, control: false })
    const s = await run.done
    expect(s.result).toBe(3)
    expect(s.agents.done).toBe(5)
    expect(run.view().log.some((l) => /5 agents/.test(l.message))).toBe(true)
  })

  it('a script error fails the run with the line and column', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'bad' }
const x = await agent('a')
throw new Error('nope')`
    const run = await startRun({ projectDir, script, executor: createInstantExecutor(), control: false })
    const s = await run.done
    expect(s.status).toBe('failed')
    expect(s.error).toMatch(/nope/)
    expect(s.error).toMatch(/line 3, column \d+/)
  })

  it('STOP_AGENT on a running agent resolves its agent() to null; the others finish', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'stop1' }
const xs = await parallel([() => agent('slow'), () => agent('fast')])
return xs`
    const executor = createInstantExecutor({ delayMs: 50 })
    const slow = createInstantExecutor({ delayMs: 60_000 })
    const mixed = { run: (call: any, ctx: any) => (call.prompt === 'slow' ? slow.run(call, ctx) : executor.run(call, ctx)) }
    const run = await startRun({ projectDir, script, executor: mixed, control: false })
    const key = await new Promise<string>((resolve) => {
      const sub = run.events.subscribe((ev) => {
        if (ev.type === 'agent.started' && run.view().agents.find((a) => a.key === ev.key)?.prompt === 'slow') {
          sub.unsubscribe()
          resolve(ev.key)
        }
      })
    })
    run.send({ type: 'STOP_AGENT', key })
    const s = await run.done
    expect(s.status).toBe('completed')
    expect(s.result).toEqual([null, 'done: fast'])
    expect(s.agents).toMatchObject({ done: 1, stopped: 1 })
  })

  it('enforces the token budget on output tokens: once spent, agent() throws, the log says why, budget.remaining() shows it', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'budget' }
const a = await agent('first')
const before = budget.remaining()
const b = await agent('second')
let c = 'not thrown'
try { await agent('third') } catch (e) { c = e.message }
return { a: a !== null, b: b !== null, c, total: budget.total, before, spent: budget.spent() }`
    const run = await startRun({ projectDir, script, executor: createInstantExecutor({ tokensPerAgent: { input: 20, output: 25 } }), budget: 50, control: false })
    const s = await run.done
    expect(s.result).toMatchObject({ a: true, b: true, total: 50, before: 25, spent: 50 })
    expect((s.result as any).c).toMatch(/budget of 50 output tokens is spent.*--budget/)
    // The UI keeps the wider count: input + output.
    expect(s.tokens.total).toBe(90)
    expect(run.view().log.some((l) => /budget of 50.*--budget/.test(l.message))).toBe(true)
  })

  it('13.10 RESTART_AGENT on a finished agent is refused with a sentence and changes nothing', async () => {
    const projectDir = project()
    let n = 0
    const executor = createInstantExecutor({ respond: () => `answer ${++n}` })
    const script = `export const meta = { name: 'restart' }
const a = await agent('once', { label: 'first' })
await agent('hold', { timeoutMs: 100000 })
return a`
    const hold = createInstantExecutor({ delayMs: 60_000 })
    const mixed = { run: (call: any, ctx: any) => (call.prompt === 'hold' ? hold.run(call, ctx) : executor.run(call, ctx)) }
    const run = await startRun({ projectDir, script, executor: mixed, control: false })
    const holdKey = await new Promise<string>((resolve) => {
      const sub = run.events.subscribe((ev) => {
        if (ev.type === 'agent.started' && run.view().agents.find((a) => a.key === ev.key)?.prompt === 'hold') {
          sub.unsubscribe()
          resolve(ev.key)
        }
      })
    })
    const onceKey = run.view().agents.find((a) => a.prompt === 'once')!.key
    // By key and by its unique label: refused, naming why.
    expect(() => run.send({ type: 'RESTART_AGENT', key: onceKey })).toThrow(/already finished.*would change nothing/)
    expect(() => run.send({ type: 'RESTART_AGENT', key: 'first' })).toThrow(/already finished.*would change nothing/)
    expect(() => run.send({ type: 'STOP_AGENT', key: 'nobody' })).toThrow(/has no agent with the key or label "nobody"/)
    expect(run.view().agents.find((a) => a.key === onceKey)).toMatchObject({ status: 'done', attempt: 1 })
    run.send({ type: 'STOP_AGENT', key: holdKey })
    const s = await run.done
    expect(s.result).toBe('answer 1')
    expect(n).toBe(1)
    const done = readJournal(run.runDir).entries.filter((e: any) => e.t === 'agent.done' && e.key === onceKey)
    expect(done.map((e: any) => e.result)).toEqual(['answer 1'])
  })

  it('a full disk on the journal fails the run with a sentence; resume afterwards completes it', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'diskfull' }
const xs = []
for (let i = 0; i < 10; i++) xs.push(await agent('step ' + i))
return xs.length`
    process.env.OCDW_FAULT_JOURNAL_ENOSPC_AFTER = '8'
    let run
    try {
      run = await startRun({ projectDir, script, executor: createInstantExecutor(), control: false })
    } finally {
      delete process.env.OCDW_FAULT_JOURNAL_ENOSPC_AFTER
    }
    const s = await run.done
    expect(s.status).toBe('failed')
    expect(s.error).toMatch(/Could not append to the run's journal .*ENOSPC.*free disk space, then `ocdw resume`/)
    const journaled = readJournal(run.runDir).entries.filter((e: any) => e.t === 'agent.done').length
    expect(journaled).toBeGreaterThan(0)
    const executor = createInstantExecutor()
    const again = await startRun({ projectDir, resumeRunId: run.runId, executor, control: false })
    const s2 = await again.done
    expect(s2.status).toBe('completed')
    expect(s2.result).toBe(10)
    expect(s2.agents.cached).toBe(journaled)
    expect(executor.calls).toBe(10 - journaled)
  })

  it('resumes past a snapshot cut off mid-write and a truncated journal line, saying what it ignored', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'torn' }
const xs = await parallel([1, 2, 3, 4].map((i) => () => agent('torn ' + i)))
return xs.filter(Boolean).length`
    const first = await startRun({ projectDir, script, executor: createInstantExecutor(), control: false })
    await first.done
    // Simulate a kill during the snapshot write and in the middle of a journal append.
    writeFileSync(join(first.runDir, 'snapshot.json'), '{"status":"active","context":{"agen')
    appendFileSync(join(first.runDir, 'journal.jsonl'), '{"t":"agent.done","key":"x')
    const executor = createInstantExecutor()
    const again = await startRun({ projectDir, resumeRunId: first.runId, executor, control: false })
    const s = await again.done
    expect(s.status).toBe('completed')
    expect(s.result).toBe(4)
    expect(executor.calls).toBe(0)
    const warnings = again.view().log.map((l) => l.message)
    expect(warnings.some((m) => /snapshot\.json is unreadable .*resumes from its journal/.test(m))).toBe(true)
    expect(warnings.some((m) => /journal line \d+: truncated last line \(ignored\)/.test(m))).toBe(true)
  })
})
