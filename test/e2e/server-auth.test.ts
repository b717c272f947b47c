// Server auth on the real `opencode serve`: every server ocdw spawns (the default mode with the user's config, and
// --offline) refuses requests without its fresh random password; a run against a passworded server the user runs works
// with the right password in the environment and fails with a sentence (exit 1) with a wrong one.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOfflineTestbed, offlineOpencodeConfig, type OfflineTestbed } from '../../src/offline/testbed.js'
import { startOfflineModel, type OfflineModel } from '../../src/offline/server.js'
import { userServerAuth } from '../../src/opencode/server-list.js'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { waitFor } from '../support/wait.js'

const ONE = `export const meta = { name: 'one' }\nreturn await agent('auth hello')\n`
const SLOW = `export const meta = { name: 'slow-auth' }\nreturn await parallel([1, 2, 3].map((i) => () => agent('slow auth ' + i)))\n`
/** Switches a user would set so OpenCode stays offline in CI (no models.dev fetch, no autoupdate). */
const QUIET = { OPENCODE_DISABLE_MODELS_FETCH: '1', OPENCODE_DISABLE_AUTOUPDATE: '1', OPENCODE_DISABLE_LSP_DOWNLOAD: '1', OPENCODE_DISABLE_SHARE: '1' }

/** The spawned server's URL from the CLI's progress lines. */
function serverUrlIn(stderr: string): string | undefined {
  return /agents run on [^\n]*?(http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1]
}

async function unauthenticatedPost(url: string): Promise<number> {
  const res = await fetch(`${url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  return res.status
}

describe('server auth', () => {
  let sb: Sandbox
  let model: OfflineModel
  const beds: OfflineTestbed[] = []
  beforeAll(async () => {
    sb = makeSandbox('ocdw-auth-')
    writeFileSync(join(sb.project, 'one.js'), ONE)
    writeFileSync(join(sb.project, 'slow.js'), SLOW)
    // The user's own OpenCode config names the offline model (slow, so the run is still going when we knock).
    model = await startOfflineModel({ latencyMs: 4000 })
    const configDir = join(sb.env.XDG_CONFIG_HOME!, 'opencode')
    mkdirSync(configDir, { recursive: true })
    writeFileSync(join(configDir, 'opencode.json'), JSON.stringify(offlineOpencodeConfig(model.url)))
  })
  afterAll(async () => {
    for (const b of beds) await b.stop().catch(() => undefined)
    await model.stop()
    sb.cleanup()
  })

  it('the server spawned in the default mode refuses an unauthenticated POST /session', async () => {
    const child = sb.spawn(['run', '--script', 'slow.js', '--yes'], { env: QUIET })
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    const url = await waitFor('the spawned server URL', () => serverUrlIn(child.output().stderr), 90_000)
    expect(await unauthenticatedPost(url)).toBe(401)
    expect(await exited, child.output().stderr).toBe(0)
  })

  it('the --offline server refuses an unauthenticated POST /session', async () => {
    const rules = join(sb.root, 'slow-rules.json')
    writeFileSync(rules, JSON.stringify({ latencyMs: 4000, rules: [] }))
    const child = sb.spawn(['run', '--script', 'slow.js', '--offline', '--yes'], { env: { OCDW_OFFLINE_RULES: rules } })
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    const url = await waitFor('the spawned server URL', () => serverUrlIn(child.output().stderr), 90_000)
    expect(await unauthenticatedPost(url)).toBe(401)
    expect(await exited, child.output().stderr).toBe(0)
  })

  it('the test bed itself is passworded, and its own client gets in', async () => {
    const bed = await startOfflineTestbed({ projectDir: sb.project })
    beds.push(bed)
    expect(await unauthenticatedPost(bed.url)).toBe(401)
    const created = await bed.client.session.create({ title: 'authorised' })
    expect(created.data?.id).toBeTruthy()
  })

  it('--server: the right password in the environment works, a wrong one fails with a sentence and exit 1', async () => {
    const bed = await startOfflineTestbed({ projectDir: sb.project })
    beds.push(bed)
    const good = await sb.runAsync(['run', '--script', 'one.js', '--server', bed.url, '--yes', '--json'], { env: { OPENCODE_SERVER_PASSWORD: bed.auth.password } })
    expect(good.code, good.stderr).toBe(0)
    expect(parseJsonOut(good.stdout).agents.done).toBe(1)

    const named = await sb.runAsync(['run', '--script', 'one.js', '--server', bed.url, '--server-password-env', 'MY_OC_PW', '--yes', '--json'], {
      env: { MY_OC_PW: bed.auth.password },
    })
    expect(named.code, named.stderr).toBe(0)

    const wrong = await sb.runAsync(['run', '--script', 'one.js', '--server', bed.url, '--yes', '--json'], { env: { OPENCODE_SERVER_PASSWORD: 'not-the-password' } })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/refused the password in OPENCODE_SERVER_PASSWORD \(HTTP 401\); set it to the server's password/)
    expect(wrong.stderr).not.toMatch(/\n\s+at /) // one sentence, no stack trace

    const none = await sb.runAsync(['run', '--script', 'one.js', '--server', bed.url, '--yes'], {})
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/needs a password \(HTTP 401\); set OPENCODE_SERVER_PASSWORD/)
  })

  it('--server-password-env checks the name it is given', () => {
    expect(userServerAuth('MY_PW', { MY_PW: 's3cret' })).toEqual({ username: 'opencode', password: 's3cret' })
    expect(userServerAuth(undefined, { OPENCODE_SERVER_PASSWORD: 'p', OPENCODE_SERVER_USERNAME: 'me' })).toEqual({ username: 'me', password: 'p' })
    expect(userServerAuth(undefined, {})).toBeUndefined()
    expect(() => userServerAuth('MY_PW', {})).toThrow(/MY_PW, which is not set; export MY_PW=/)
    expect(() => userServerAuth('not a name', {})).toThrow(/name of an environment variable/)
  })
})
