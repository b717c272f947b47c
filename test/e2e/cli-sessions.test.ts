// Session hygiene of CLI runs on the real `opencode serve` (offline model): a run adds ONE top-level session to the
// user's OpenCode session list ("ocdw: <name> <runId>") with its agents as children, and `--sessions` decides what
// stays afterwards (keep, delete-on-success, delete).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOfflineTestbed, type OfflineTestbed } from '../../src/offline/testbed.js'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

const THREE = `export const meta = { name: 'three', phases: [{ title: 'Ask' }] }
const out = await parallel([1, 2, 3].map((i) => () => agent('session question ' + i, { label: 's' + i })))
return out.filter(Boolean).length
`
const FAILING = `export const meta = { name: 'failing' }
await agent('session question 4', { label: 's4' })
throw new Error('the script gives up on purpose')
`

describe('CLI runs keep the OpenCode session list tidy', () => {
  let sb: Sandbox
  let tb: OfflineTestbed
  const sessions = async () => ((await tb.client.session.list({ directory: sb.project })).data ?? []) as any[]
  const topLevelOcdw = async () => (await sessions()).filter((s) => !s.parentID && String(s.title).startsWith('ocdw: '))
  const run = async (script: string, extra: string[] = []) => {
    const r = await sb.runAsync(['run', '--script', script, '--server', tb.url, '--yes', '--json', ...extra], { env: { OPENCODE_SERVER_PASSWORD: tb.auth.password } })
    return { ...r, summary: r.stdout.trim() ? parseJsonOut(r.stdout) : undefined }
  }

  beforeAll(async () => {
    sb = makeSandbox('ocdw-cli-sessions-')
    writeFileSync(join(sb.project, 'three.js'), THREE)
    writeFileSync(join(sb.project, 'failing.js'), FAILING)
    tb = await startOfflineTestbed({ projectDir: sb.project })
  }, 120_000)

  afterAll(async () => {
    await tb?.stop()
    sb?.cleanup()
  }, 60_000)

  it('one parent session per run, named after the run, with the agents as its children (--sessions keep, the default)', async () => {
    const r = await run('three.js')
    expect(r.code, r.stderr).toBe(0)
    const runId = r.summary.runId
    const parents = await topLevelOcdw()
    expect(parents.map((s) => s.title)).toEqual([`ocdw: three ${runId}`])
    const children = ((await tb.client.session.children({ sessionID: parents[0].id, directory: sb.project })).data ?? []) as any[]
    expect(children.map((c) => c.title).sort()).toEqual(['ocdw: s1', 'ocdw: s2', 'ocdw: s3'])
    // No agent session is top-level.
    expect((await sessions()).filter((s) => !s.parentID).map((s) => s.title)).toEqual([`ocdw: three ${runId}`])
  }, 400_000)

  it('--sessions delete removes the run session and its agents; delete-on-success keeps a failed run', async () => {
    const before = (await sessions()).length
    const deleted = await run('three.js', ['--sessions', 'delete'])
    expect(deleted.code, deleted.stderr).toBe(0)
    expect((await topLevelOcdw()).map((s) => s.title)).not.toContain(`ocdw: three ${deleted.summary.runId}`)
    expect((await sessions()).length).toBe(before)

    const failed = await run('failing.js', ['--sessions', 'delete-on-success'])
    expect(failed.summary.status).toBe('failed')
    expect((await topLevelOcdw()).map((s) => s.title)).toContain(`ocdw: failing ${failed.summary.runId}`)

    const bad = sb.run(['run', '--script', 'three.js', '--server', tb.url, '--yes', '--sessions', 'sometimes'], { env: { OPENCODE_SERVER_PASSWORD: tb.auth.password } })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--sessions sometimes is not a sessions mode; use keep, delete-on-success or delete.')
  }, 400_000)
})
