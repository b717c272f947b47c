// Connection choice and preflight on the real `opencode serve`: a provider on a dead port fails the run within
// seconds with a sentence (not "1 running · 0 tok" for minutes); resume reuses the recorded connection (an --offline
// run resumed without --offline still uses the offline model); resuming a completed run prints its result and starts
// no server.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { offlineOpencodeConfig } from '../../src/offline/testbed.js'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { waitFor } from '../support/wait.js'

const ONE = `export const meta = { name: 'one-conn' }\nreturn await agent('connection hello')\n`
const FOUR = `export const meta = { name: 'four-conn' }
const a = await agent('conn first')
const rest = await parallel([1, 2, 3].map((i) => () => agent('conn later ' + i)))
return [a, ...rest].map((x) => x !== null)
`
const QUIET = { OPENCODE_DISABLE_MODELS_FETCH: '1', OPENCODE_DISABLE_AUTOUPDATE: '1', OPENCODE_DISABLE_LSP_DOWNLOAD: '1', OPENCODE_DISABLE_SHARE: '1' }
const modelCalls = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0)

describe('connection', () => {
  let sb: Sandbox
  beforeAll(() => {
    sb = makeSandbox('ocdw-conn-')
    writeFileSync(join(sb.project, 'one.js'), ONE)
    writeFileSync(join(sb.project, 'four.js'), FOUR)
  })
  afterAll(() => sb.cleanup())

  it('preflight: a provider on a dead port fails the run with a sentence, before any agent', async () => {
    const configDir = join(sb.env.XDG_CONFIG_HOME!, 'opencode')
    mkdirSync(configDir, { recursive: true })
    writeFileSync(join(configDir, 'opencode.json'), JSON.stringify(offlineOpencodeConfig('http://127.0.0.1:9/v1')))
    try {
      const r = await sb.runAsync(['run', '--script', 'one.js', '--yes'], { env: QUIET })
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toMatch(/The model ocdw-offline\/offline cannot answer \(.+\); check the "ocdw-offline" provider \(its baseURL and API key\) in your OpenCode config/)
      expect(r.stderr).not.toMatch(/running · 0 tok/)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      // No run was started for a model that cannot answer.
      expect(existsSync(join(sb.project, '.opencode/workflows/runs'))).toBe(false)
    } finally {
      writeFileSync(join(configDir, 'opencode.json'), '{}')
    }
  })

  it('the progress header names the model that answered', async () => {
    const r = await sb.runAsync(['run', '--script', 'one.js', '--offline', '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/starting OpenCode with the offline model…/)
    expect(r.stderr).toMatch(/agents run on offline model \(OpenCode http:\/\/127\.0\.0\.1:\d+\) · model ocdw-offline\/offline/)
  })

  it('resuming an --offline run without --offline uses the offline model again; a completed run resumes without a server', async () => {
    const rules = join(sb.root, 'slow.json')
    const log = join(sb.root, 'calls.log')
    // The first agent answers at once, the rest slowly: the run is killed with work done and work left.
    writeFileSync(rules, JSON.stringify({ latencyMs: 20_000, rules: [{ match: 'conn first', latencyMs: 0, reply: { text: 'first answer' } }] }))
    const child = sb.spawn(['run', '--script', 'four.js', '--offline', '--yes'], { env: { OCDW_OFFLINE_RULES: rules } })
    const runs = join(sb.project, '.opencode/workflows/runs')
    const runDir = await waitFor(
      'the first agent journaled',
      () => {
        const dirs = existsSync(runs) ? readdirSync(runs).map((id) => join(runs, id)) : []
        return dirs.find((d) => existsSync(join(d, 'journal.jsonl')) && readFileSync(join(d, 'journal.jsonl'), 'utf8').includes('"agent.done"') && readFileSync(join(d, 'script.js'), 'utf8').includes('four-conn'))
      },
      90_000,
    )
    process.kill(child.pid!, 'SIGKILL')
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.on('exit', r)))
    const runId = runDir.split('/').pop()!

    // No --offline: the user's config has no provider at all, so only the recorded offline connection can finish it.
    const resumed = await sb.runAsync(['resume', runId, '--json'], { env: { OCDW_OFFLINE_LOG: log, ...QUIET } })
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/agents run on offline model/)
    const s = parseJsonOut(resumed.stdout)
    expect(s.status).toBe('completed')
    expect(s.result).toEqual([true, true, true, true])
    expect(s.agents.cached).toBeGreaterThanOrEqual(1)

    // Completed: the result again, from the run's files; no server started, no model asked.
    const calls = modelCalls(log)
    const again = await sb.runAsync(['resume', runId, '--json'], { env: { OCDW_OFFLINE_LOG: log } })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).not.toMatch(/starting OpenCode/)
    expect(again.stderr).toMatch(/already completed/)
    expect(parseJsonOut(again.stdout)).toMatchObject({ runId, status: 'completed', result: [true, true, true, true] })
    expect(modelCalls(log)).toBe(calls)
  })
})
