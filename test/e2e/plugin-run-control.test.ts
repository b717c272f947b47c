// The ocdw plugin's run control inside the real OpenCode (`opencode serve` + the offline model, the built plugin
// loaded through the test bed's `plugins` option): workflow_control steering a live background run (stop/restart an
// agent, pause, resume), stopping a run and resuming it with resumeFromRunId (completed agents are not asked again),
// progress toasts at phase boundaries, and instance dispose stopping live runs so they stay resumable.
// One server for all of it; slow agents come from a rule-level latency of the offline model.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadRunView } from '../../src/actors/run-reader.js'
import { startOfflineTestbed, type OfflineTestbed } from '../../src/offline/testbed.js'
import { makeSandbox, type Sandbox } from '../support/cli.js'
import { waitFor } from '../support/wait.js'

const PLUGIN_URL = pathToFileURL(join(__dirname, '../../dist/plugin/index.js')).href
const SLOW_MS = 4000

const PACED = `export const meta = { name: 'paced', phases: [{ title: 'First' }, { title: 'Second' }] }
phase('First')
const [a, d] = await parallel([() => agent('slow alpha', { label: 'alpha' }), () => agent('slow delta', { label: 'delta' })])
phase('Second')
const g = await agent('quick gamma', { label: 'gamma' })
return { alpha: a !== null, delta: d, gamma: g !== null, marker: 'paced-done' }
`
const resumable = (name: string, quick: string, slow: string) => `export const meta = { name: '${name}', phases: [{ title: 'Quick' }, { title: 'Slow' }] }
phase('Quick')
const q = await agent('${quick}', { label: 'quick' })
phase('Slow')
const s = await agent('${slow}', { label: 'slow' })
return { quick: q !== null, slow: s !== null, marker: '${name}-done' }
`
const STOPPABLE = resumable('stoppable', 'quick one', 'slow two')
const DISPOSABLE = resumable('disposable', 'quick three', 'slow four')

const control = (args: Record<string, unknown>) => ({ name: 'workflow_control', args })
const RULES = [
  { match: '^slow ', latencyMs: SLOW_MS, reply: { text: 'a slow answer' } },
  { match: '^start paced$', reply: { tools: [{ name: 'workflow', args: { script: PACED, background: true } }] } },
  {
    match: '^steer paced$',
    reply: { tools: [control({ action: 'stop_agent', agent: 'delta' }), control({ action: 'restart_agent', agent: 'alpha' }), control({ action: 'pause' })] },
  },
  { match: '^resume paced$', reply: { tools: [control({ action: 'resume' })] } },
  { match: '^start stoppable$', reply: { tools: [{ name: 'workflow', args: { script: STOPPABLE, background: true } }] } },
  { match: '^start disposable$', reply: { tools: [{ name: 'workflow', args: { script: DISPOSABLE, background: true } }] } },
  { match: '^stop it$', reply: { tools: [control({ action: 'stop' })] } },
  { match: '^resume the latest run$', reply: { tools: [{ name: 'workflow', args: { resumeFromRunId: 'latest', background: false } }] } },
]

describe('the ocdw plugin controls, resumes and disposes runs in the real OpenCode server', () => {
  let sb: Sandbox
  let tb: OfflineTestbed
  let logFile: string
  const toasts: string[] = []
  const events = new AbortController()

  const dir = () => sb.project
  const runDir = (runId: string) => join(dir(), '.opencode/workflows/runs', runId)
  const runFile = (runId: string) => JSON.parse(readFileSync(join(runDir(runId), 'run.json'), 'utf8'))
  const view = async (runId: string) => (await loadRunView(runDir(runId))).view
  const agentOf = async (runId: string, label: string) => (await view(runId)).agents.find((a) => a.label === label)
  /** How many model requests the agents with this prompt made (title requests aside). */
  const asked = (prompt: string) =>
    (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []).filter(
      (l: any) => l.kind !== 'title' && l.lastUser === prompt,
    ).length
  const newSession = async () => (await tb.client.session.create({ directory: dir() })).data!.id
  const say = async (sessionID: string, text: string) => {
    const res = await tb.client.session.prompt({ sessionID, directory: dir(), parts: [{ type: 'text', text }] })
    expect(res.error).toBeUndefined()
  }
  const toolParts = async (sessionID: string, tool: string) =>
    ((await tb.client.session.messages({ sessionID, directory: dir() })).data ?? [])
      .flatMap((m: any) => m.parts)
      .filter((p: any) => p.type === 'tool' && p.tool === tool) as any[]
  /** Starts a background run through the primary agent and returns its id. */
  const startInBackground = async (sessionID: string, text: string) => {
    await say(sessionID, text)
    const [part] = await toolParts(sessionID, 'workflow')
    expect(part?.state.status, JSON.stringify(part?.state)).toBe('completed')
    expect(part.state.output).toMatch(/in the background/)
    return part.state.metadata.runId as string
  }
  const runningInSession = (a: { status: string; sessionId?: string } | undefined) => a?.status === 'running' && !!a.sessionId
  /** Waits until the run's quick agent is done and its slow one runs in its child session (the moment to interrupt it). */
  const waitSlowRunning = (runId: string) =>
    waitFor('the quick agent done and the slow one running', async () => {
      const v = await view(runId)
      return v.agents.find((a) => a.label === 'quick')?.status === 'done' && runningInSession(v.agents.find((a) => a.label === 'slow'))
    })
  /** How many child sessions of the calling session each agent label got (one per attempt). */
  const childTitles = async (sessionID: string) => {
    const counts: Record<string, number> = {}
    for (const c of (await tb.client.session.children({ sessionID, directory: dir() })).data ?? []) counts[c.title] = (counts[c.title] ?? 0) + 1
    return counts
  }

  beforeAll(async () => {
    sb = makeSandbox('ocdw-plugin-control-')
    logFile = join(sb.root, 'offline-model.log')
    tb = await startOfflineTestbed({ projectDir: sb.project, rules: RULES, logFile, plugins: [PLUGIN_URL] })
    // The TUI toasts the plugin shows are bus events: watch them on the server's event stream.
    void (async () => {
      try {
        const sub = await tb.client.event.subscribe({ directory: dir() }, { signal: events.signal, sseMaxRetryAttempts: 1000 } as never)
        for await (const raw of sub.stream as AsyncIterable<any>) {
          const ev = raw && typeof raw === 'object' && 'payload' in raw ? raw.payload : raw
          if (ev?.type === 'tui.toast.show') toasts.push(String(ev.properties?.message ?? ''))
        }
      } catch {
        /* the server stopped */
      }
    })()
  }, 120_000)

  afterAll(async () => {
    events.abort()
    await tb?.stop()
    sb?.cleanup()
  })

  it('workflow_control stops and restarts agents, pauses and resumes a live background run; phases are toasted', async () => {
    const sessionID = await newSession()
    const runId = await startInBackground(sessionID, 'start paced')
    await waitFor('alpha and delta running', async () => runningInSession(await agentOf(runId, 'alpha')) && runningInSession(await agentOf(runId, 'delta')))

    // One model turn: stop delta, restart alpha, pause the run (no run id: this session's newest live run).
    await say(sessionID, 'steer paced')
    const steered = await toolParts(sessionID, 'workflow_control')
    expect(steered.map((p) => p.state.status), JSON.stringify(steered.map((p) => p.state))).toEqual(['completed', 'completed', 'completed'])
    expect(steered.map((p) => p.state.output).join('\n')).toContain(runId)

    const paused = await waitFor('delta stopped, alpha restarted and done, gamma queued behind the pause', async () => {
      const v = await view(runId)
      const gamma = v.agents.find((a) => a.label === 'gamma')
      return gamma && v.agents.find((a) => a.label === 'alpha')?.status === 'done' ? v : undefined
    })
    expect(paused.status).toBe('paused')
    expect(paused.agents.find((a) => a.label === 'delta')).toMatchObject({ status: 'stopped' })
    expect(paused.agents.find((a) => a.label === 'alpha')).toMatchObject({ status: 'done', attempt: 2 })
    expect(paused.agents.find((a) => a.label === 'gamma')).toMatchObject({ status: 'queued' })
    expect(asked('quick gamma')).toBe(0)

    await say(sessionID, 'resume paced')
    const [, , , resumed] = await toolParts(sessionID, 'workflow_control')
    expect(resumed?.state.status, JSON.stringify(resumed?.state)).toBe('completed')
    await waitFor('the paced run completed', () => runFile(runId).status === 'completed')
    expect(JSON.parse(readFileSync(join(runDir(runId), 'result.json'), 'utf8'))).toEqual({ alpha: true, delta: null, gamma: true, marker: 'paced-done' })
    // The restart ran alpha again in a new child session; the stopped delta was not.
    expect(await childTitles(sessionID)).toEqual({ 'ocdw: alpha': 2, 'ocdw: delta': 1, 'ocdw: gamma': 1 })
    expect(asked('slow alpha')).toBeGreaterThanOrEqual(1)
    expect(asked('quick gamma')).toBe(1)

    // Progress: a toast at each phase boundary, and one when the background run ends.
    await waitFor('the toasts', () => toasts.some((t) => t.includes(runId)))
    expect(toasts).toEqual(expect.arrayContaining(['paced: phase First', 'paced: phase Second', `workflow paced completed: ${runId}`]))
  })

  it('a run stopped through workflow_control resumes with resumeFromRunId; its completed agents are not asked again', async () => {
    const sessionID = await newSession()
    const runId = await startInBackground(sessionID, 'start stoppable')
    await waitSlowRunning(runId)
    await say(sessionID, 'stop it')
    await waitFor('the run stopped', () => runFile(runId).status === 'stopped')
    expect((await view(runId)).status).toBe('stopped')
    // The background run's outcome comes back into the session, with how to resume it.
    await waitFor('the stopped run reported in the session', async () =>
      ((await tb.client.session.messages({ sessionID, directory: dir() })).data ?? []).some((m: any) =>
        m.parts.some((p: any) => p.type === 'text' && p.text.includes('[ocdw workflow stoppable finished]') && p.text.includes(`resumeFromRunId: "${runId}"`)),
      ),
    )

    await say(sessionID, 'resume the latest run')
    const [, resumedPart] = await toolParts(sessionID, 'workflow')
    expect(resumedPart?.state.status, JSON.stringify(resumedPart?.state)).toBe('completed')
    expect(resumedPart.state.metadata.runId).toBe(runId)
    expect(resumedPart.state.output).toContain(`${runId}: completed`)
    expect(resumedPart.state.output).toContain('"marker": "stoppable-done"')
    expect(resumedPart.state.output).toContain('1 from the journal')
    expect(runFile(runId).status).toBe('completed')
    // The quick agent answered from the journal; only the slow one ran again (a second child session).
    expect(asked('quick one')).toBe(1)
    expect(asked('slow two')).toBeGreaterThanOrEqual(1)
    expect(await childTitles(sessionID)).toEqual({ 'ocdw: quick': 1, 'ocdw: slow': 2 })
  })

  it('disposing the OpenCode instance stops the live runs cleanly, and they resume afterwards', async () => {
    const sessionID = await newSession()
    const runId = await startInBackground(sessionID, 'start disposable')
    await waitSlowRunning(runId)

    const disposed = await tb.client.instance.dispose({ directory: dir() })
    expect(disposed.error).toBeUndefined()
    await waitFor('the run stopped by dispose', () => runFile(runId).status === 'stopped')
    // The lock goes right after the final status is written: released, not left behind.
    await waitFor('the run lock released', () => !existsSync(join(runDir(runId), 'lock')))
    const journal = readFileSync(join(runDir(runId), 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    expect(journal.filter((e) => e.t === 'agent.done').map((e) => e.label)).toEqual(['quick'])
    expect(journal.at(-1)).toMatchObject({ t: 'run', status: 'stopped' })

    // A new instance (the next request makes one, loading the plugin again) resumes it from the journal.
    await say(sessionID, 'resume the latest run')
    const [, resumedPart] = await toolParts(sessionID, 'workflow')
    expect(resumedPart?.state.status, JSON.stringify(resumedPart?.state)).toBe('completed')
    expect(resumedPart.state.metadata.runId).toBe(runId)
    expect(resumedPart.state.output).toContain('"marker": "disposable-done"')
    expect(asked('quick three')).toBe(1)
    expect(asked('slow four')).toBeGreaterThanOrEqual(1)
    expect(await childTitles(sessionID)).toEqual({ 'ocdw: quick': 1, 'ocdw: slow': 2 })
  })
})
