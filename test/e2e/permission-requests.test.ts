// OpenCode permission requests on the real `opencode serve` + offline model: a request (bash: ask) is surfaced in the
// CLI progress and the run view and answered through `permitAgent` (the `ocdw permit` verb): `once` lets the agent go
// on, `reject` fails that tool call and the agent ends instead of hanging.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { permitAgent } from '../../src/cli/cmd-permit.js'
import { startOfflineTestbed, type OfflineTestbed } from '../../src/offline/testbed.js'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { runIdFor } from '../support/runs.js'
import { waitFor } from '../support/wait.js'

describe('permission requests', () => {
  let sb: Sandbox
  const beds: OfflineTestbed[] = []
  beforeAll(() => {
    sb = makeSandbox('ocdw-permission-')
  })
  afterAll(async () => {
    for (const b of beds) await b.stop().catch(() => undefined)
    sb.cleanup()
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
