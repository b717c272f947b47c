// `--inspect` and the stall detector on the real `opencode serve` + offline model: `--inspect` streams the actor tree
// to the Stately inspector bridge (checked with @statelyai/inspect's WebSocket receiver), and the stall detector
// marks an agent whose model answer is slow (OCDW_STALL_MS) in the progress and in `ocdw show`.
import { writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { join } from 'node:path'
import { createWebSocketReceiver } from '@statelyai/inspect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { runIdFor } from '../support/runs.js'
import { waitFor } from '../support/wait.js'

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

describe('--inspect and stalled agents', () => {
  let sb: Sandbox
  beforeAll(() => {
    sb = makeSandbox('ocdw-inspect-')
  })
  afterAll(() => {
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
})
