// Runtime extras on the real `opencode serve` + offline model: `--inspect` streams the actor tree to the Stately
// inspector bridge (checked with @statelyai/inspect's WebSocket receiver), the stall detector marks an agent whose
// model answer is slow (OCDW_STALL_MS), and an OpenCode permission request (bash: ask) is surfaced in the CLI progress
// and the run view and answered through `permitAgent` (the `ocdw permit` verb): `once` lets the agent go on, `reject`
// fails that tool call and the agent ends instead of hanging.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { join } from 'node:path'
import { createWebSocketReceiver } from '@statelyai/inspect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { permitAgent } from '../../src/cli/cmd-permit.js'
import { startOfflineTestbed, type OfflineTestbed } from '../../src/offline/testbed.js'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined && v !== false) return v as T
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The id of the (only) run whose script contains `marker`. */
function runIdFor(project: string, marker: string): string | undefined {
  const dir = join(project, '.opencode/workflows/runs')
  if (!existsSync(dir)) return undefined
  return readdirSync(dir).find((id) => {
    const script = join(dir, id, 'script.js')
    return existsSync(script) && readFileSync(script, 'utf8').includes(marker)
  })
}

describe('runtime extras', () => {
  let sb: Sandbox
  const beds: OfflineTestbed[] = []
  beforeAll(() => {
    sb = makeSandbox('ocdw-extras-')
  })
  afterAll(async () => {
    for (const b of beds) await b.stop().catch(() => undefined)
    sb.cleanup()
  })

  it('--inspect streams the workflow and agent actors; a slow agent is reported stalled while it runs', async () => {
    const port = await freePort()
    const rules = join(sb.root, 'slow.json')
    writeFileSync(rules, JSON.stringify({ rules: [{ match: 'slow extras task', latencyMs: 5000, reply: { text: 'slow done' } }] }))
    writeFileSync(
      join(sb.project, 'extras.js'),
      `export const meta = { name: 'extras', phases: [{ title: 'Work' }] }
const quick = await agent('quick extras task', { label: 'quick one' })
const slow = await agent('slow extras task', { label: 'slow one' })
return [quick !== null, slow]
`,
    )
    const child = sb.spawn(['run', '--script', 'extras.js', '--offline', '--yes', '--json', '--inspect'], {
      env: { OCDW_INSPECT_PORT: String(port), CI: '1', OCDW_STALL_MS: '400', OCDW_OFFLINE_RULES: rules },
    })
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))

    // The bridge is up once the CLI says so; connect the receiver the Stately tooling uses.
    // The page is served on 127.0.0.1 under a random token; the same path is the WebSocket the page reads.
    const page = await waitFor('the inspection line', () => new RegExp(`open (http://127\\.0\\.0\\.1:${port}/\\w+) in a browser`).exec(child.output().stderr)?.[1] || (child.exitCode !== null ? undefined : false), 30_000)
    await waitFor('the inspector port', () => accepts(port), 5000)
    const seen: any[] = []
    createWebSocketReceiver({ server: page.replace(/^http/, 'ws') }).subscribe((ev: any) => seen.push(ev))

    // Stall: `ocdw show --json` (over the live control channel) shows the slow agent running and stalled.
    const runId = await waitFor('the run dir', () => runIdFor(sb.project, "name: 'extras'"))
    const stalled = await waitFor('a stalled agent in `ocdw show`', async () => {
      const r = await sb.runAsync(['show', runId, '--json'])
      if (r.code !== 0) return undefined
      const view = JSON.parse(r.stdout)
      return view.agents.find((a: any) => a.label === 'slow one' && a.status === 'running' && a.stalled === true)
    })
    expect(stalled.stalled).toBe(true)

    expect(await exited, child.output().stderr.slice(-3000)).toBe(0)
    const summary = parseJsonOut(child.output().stdout)
    expect(summary.status).toBe('completed')
    expect(summary.result).toEqual([true, 'slow done'])
    // The progress said which agent stalled and how to restart it.
    expect(child.output().stderr).toMatch(new RegExp(`agent "slow one" \\(([\\w-]+)\\) has sent no event for [\\d.]+s \\(stalled\\); \`ocdw restart ${runId} --agent \\1\``))
    // Once finished, the agent is no longer marked stalled.
    const after = parseJsonOut((await sb.runAsync(['show', runId, '--json'])).stdout)
    const slowAfter = after.agents.find((a: any) => a.label === 'slow one')
    expect(slowAfter.status).toBe('done')
    expect(slowAfter.stalled).toBeFalsy()

    // Inspection: the root workflow actor, both agent actors as its children, and events sent to the workflow.
    const actors = seen.filter((e) => e.type === '@xstate.actor')
    const root = actors.find((e) => e.name === 'workflow' && !e.parentId)
    expect(root, JSON.stringify(actors.map((a) => a.name))).toBeDefined()
    for (const a of after.agents) {
      const agentActor = actors.find((e) => e.name === a.key)
      expect(agentActor, `agent actor ${a.key}`).toBeDefined()
      expect(agentActor.parentId).toBe(root.sessionId)
    }
    const toWorkflow = seen.filter((e) => e.type === '@xstate.event' && e.sessionId === root.sessionId).map((e) => e.event?.type)
    expect(toWorkflow).toContain('SCRIPT.READY')
    expect(seen.some((e) => e.type === '@xstate.snapshot' && e.sessionId === root.sessionId)).toBe(true)
  })

  it('a permission request (bash: ask) pauses the agent, is surfaced with how to answer, and `permit` lets it go on', async () => {
    const bed = await startOfflineTestbed({
      projectDir: sb.project,
      permission: { bash: 'ask' },
      rules: [
        {
          match: 'this agent needs the shell',
          reply: { tools: [{ name: 'bash', args: { command: 'echo permitted-$((40+2))', description: 'Print a marker' } }] },
          then: { text: 'shell finished' },
        },
        {
          match: 'this one also needs the shell',
          reply: { tools: [{ name: 'bash', args: { command: 'echo refused-marker', description: 'Print another marker' } }] },
          then: { text: 'went on without the shell' },
        },
      ],
    })
    beds.push(bed)
    writeFileSync(
      join(sb.project, 'perm.js'),
      `export const meta = { name: 'perm', phases: [{ title: 'Shell' }] }
const [ok, refused] = await parallel([
  () => agent('this agent needs the shell', { label: 'shell user' }),
  () => agent('this one also needs the shell', { label: 'refused user' }),
])
return { ok, refused }
`,
    )
    const child = sb.spawn(['run', '--script', 'perm.js', '--server', bed.url, '--yes', '--json'], { env: { OPENCODE_SERVER_PASSWORD: bed.auth.password } })
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    const runId = await waitFor('the run dir', () => runIdFor(sb.project, "name: 'perm'"))

    // The run view (as `ocdw show` reads it) holds the pending request.
    const waiting = await waitFor('an agent waiting for a permission', async () => {
      const r = await sb.runAsync(['show', runId, '--json'])
      if (r.code !== 0) return undefined
      const agents = JSON.parse(r.stdout).agents
      return agents.filter((a: any) => a.permission).length === 2 ? agents.find((a: any) => a.label === 'shell user') : undefined
    })
    const refused = parseJsonOut((await sb.runAsync(['show', runId, '--json'])).stdout).agents.find((a: any) => a.label === 'refused user')
    expect(waiting.status).toBe('running')
    expect(waiting.permission.permission).toBe('bash')
    expect(waiting.permission.patterns.join(' ')).toContain('permitted')
    expect(refused.permission.patterns.join(' ')).toContain('refused-marker')
    // The progress line names the agent and the permission and says how to answer.
    await waitFor('the permission line', () => child.output().stderr.includes('waits for permission'), 10_000)
    expect(child.output().stderr).toContain(
      `! agent "shell user" (${waiting.key}) waits for permission to use bash (echo permitted-$((40+2))); answer with \`ocdw permit ${runId} --agent ${waiting.key} --reply once|always|reject\``,
    )

    // Wrong answers are refused with a sentence; the right one lets the agent go on.
    await expect(permitAgent(sb.project, runId, waiting.key, 'maybe')).rejects.toThrow(/--reply must be once, always or reject/)
    await expect(permitAgent(sb.project, runId, 'nokey', 'once')).rejects.toThrow(`Run ${runId} has no agent with the key or label "nokey"`)
    const answered = await permitAgent(sb.project, runId, waiting.key, 'once')
    expect(answered).toMatchObject({ key: waiting.key, permission: 'bash', reply: 'once', requestId: waiting.permission.requestId })
    await permitAgent(sb.project, runId, refused.key, 'reject')

    expect(await exited, child.output().stderr.slice(-3000)).toBe(0)
    const summary = parseJsonOut(child.output().stdout)
    expect(summary.status).toBe('completed')
    expect(summary.result.ok).toBe('shell finished')
    const view = parseJsonOut((await sb.runAsync(['show', runId, '--json'])).stdout)
    const agent = view.agents.find((a: any) => a.key === waiting.key)
    expect(agent.permission).toBeUndefined()
    expect(agent.tools.find((t: any) => t.tool === 'bash')?.status).toBe('completed')
    // A rejected request fails that tool call; OpenCode ends the agent's turn (it does not hang); the agent counts as
    // failed with a sentence (it did not do its job), and the run goes on.
    const refusedAfter = view.agents.find((a: any) => a.key === refused.key)
    expect(refusedAfter.permission).toBeUndefined()
    expect(refusedAfter.status).toBe('failed')
    expect(refusedAfter.error).toMatch(/refused the permission it asked for \(bash.*restart it and answer once or always/)
    expect(refusedAfter.tools.find((t: any) => t.tool === 'bash')?.status).toBe('error')
    expect(JSON.stringify(summary.result.refused ?? '')).not.toContain('refused-marker')
    // The run is over: answering again is refused with a sentence that says why.
    await expect(permitAgent(sb.project, runId, waiting.key, 'once')).rejects.toThrow(/is not running in any process/)
  })
})
