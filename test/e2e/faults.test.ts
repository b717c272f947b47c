// Faults on the real OpenCode server: a model that fails 20% of requests with latency spikes (the run completes
// through retries), and the OpenCode server killed mid-run (agents fail with a clear error; the run resumes on a new
// server and only the unfinished agents run again).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOpencodeExecutor } from '../../src/opencode/executor.js'
import { startOfflineTestbed, type OfflineTestbed } from '../../src/offline/testbed.js'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

const FAN = (n: number, word: string) => `export const meta = { name: '${word}', phases: [{ title: 'Work' }] }
const out = await parallel(Array.from({ length: ${n} }, (_, i) => () => agent('${word} item ' + i, { label: 'item ' + i })))
return out.map((x) => x !== null)
`

const journal = (runDir: string) =>
  existsSync(join(runDir, 'journal.jsonl'))
    ? readFileSync(join(runDir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    : []

describe('faults', () => {
  let sb: Sandbox
  const beds: OfflineTestbed[] = []
  beforeAll(() => {
    sb = makeSandbox('ocdw-faults-')
  })
  afterAll(async () => {
    for (const b of beds) await b.stop().catch(() => undefined)
    sb.cleanup()
  })

  it('completes every agent when 20% of model requests fail, with latency spikes', () => {
    const rules = join(sb.root, 'flaky.json')
    const log = join(sb.root, 'flaky.log')
    // Latency spikes: a slow rule for some prompts on top of the base latency.
    writeFileSync(rules, JSON.stringify({ failureRate: 0.2, seed: 7, latencyMs: 50, rules: [{ match: 'flaky item 1\\d', latencyMs: 1200, reply: { text: 'slow answer' } }] }))
    writeFileSync(join(sb.project, 'flaky.js'), FAN(20, 'flaky'))
    const r = sb.run(['run', '--script', 'flaky.js', '--offline', '--yes', '--json', '--concurrency', '8'], { env: { OCDW_OFFLINE_RULES: rules, OCDW_OFFLINE_LOG: log } })
    expect(r.code, r.stderr).toBe(0)
    const s = parseJsonOut(r.stdout)
    expect(s.status).toBe('completed')
    expect(s.agents).toMatchObject({ total: 20, done: 20, failed: 0 })
    expect(s.result).toEqual(Array(20).fill(true))
    const failures = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.kind === 'fail')
    expect(failures.length).toBeGreaterThan(0)
  })

  it('when the OpenCode server dies mid-run, the run is interrupted with a clear sentence (13.6) and resumes on a new server', async () => {
    const bed = await startOfflineTestbed({ projectDir: sb.project, latencyMs: 800 })
    beds.push(bed)
    writeFileSync(join(sb.project, 'dies.js'), FAN(8, 'dies'))
    const child = sb.spawn(['run', '--script', 'dies.js', '--server', bed.url, '--yes', '--json', '--concurrency', '2'], { env: { OPENCODE_SERVER_PASSWORD: bed.auth.password } })
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    const runsDir = join(sb.project, '.opencode/workflows/runs')
    let runDir = ''
    const end = Date.now() + 60_000
    while (Date.now() < end) {
      const ids = existsSync(runsDir) ? (await import('node:fs')).readdirSync(runsDir) : []
      const found = ids.map((id) => join(runsDir, id)).find((d) => existsSync(join(d, 'script.js')) && readFileSync(join(d, 'script.js'), 'utf8').includes("'dies'"))
      if (found && journal(found).filter((e) => e.t === 'agent.done').length >= 2) {
        runDir = found
        break
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(runDir).not.toBe('')
    process.kill(-bed.pid, 'SIGKILL')
    // Not a result: the run stops taking agents, keeps what finished and ends interrupted (exit 1), naming the cause.
    expect(await exited, child.output().stderr.slice(-3000)).toBe(1)
    const s = parseJsonOut(child.output().stdout)
    expect(s.status).toBe('interrupted')
    expect(s.error).toMatch(/^The run was interrupted because OpenCode could not be reached .*`ocdw resume` continues the run once that is fixed\.$/)
    const failed = journal(runDir).filter((e) => e.t === 'agent.failed')
    expect(failed[0].error).toMatch(/OpenCode could not be reached/)
    const doneBefore = journal(runDir).filter((e) => e.t === 'agent.done').length

    await bed.stop().catch(() => undefined)
    const fresh = await startOfflineTestbed({ projectDir: sb.project })
    beds.push(fresh)
    const resumed = await sb.runAsync(['resume', s.runId, '--server', fresh.url, '--json'], { env: { OPENCODE_SERVER_PASSWORD: fresh.auth.password } })
    expect(resumed.code, resumed.stderr).toBe(0)
    const s2 = parseJsonOut(resumed.stdout)
    expect(s2.status).toBe('completed')
    expect(s2.result).toEqual(Array(8).fill(true))
    expect(s2.agents.cached).toBe(doneBefore)
  })

  it('stopping an agent while its model request is in flight leaves the server usable (opencode 1.18 abort bug)', async () => {
    const bed = await startOfflineTestbed({ latencyMs: 1000 })
    beds.push(bed)
    const executor = createOpencodeExecutor({ client: bed.client, directory: bed.projectDir, defaultModel: bed.model, retries: 0 })
    try {
      const stop = new AbortController()
      const first = executor.run({ key: 'a-0', prompt: 'stopped mid request', phase: 'P', opts: {} }, { signal: stop.signal, emit() {} })
      setTimeout(() => stop.abort(), 400)
      await expect(first).rejects.toThrow(/stopped/)
      // With a plain session.abort here, every later prompt of this server answered HTTP 500.
      for (const n of [1, 2]) {
        const r = await executor.run({ key: `b-${n}`, prompt: `after the stop ${n}`, phase: 'P', opts: {} }, { signal: new AbortController().signal, emit() {} })
        expect(String(r.result)).toContain(`after the stop ${n}`)
      }
    } finally {
      executor.close()
    }
  })
})
