// Adaptive concurrency end to end (issue 17.2): the CLI on the real `opencode serve` with the offline model set to
// rate-limit like a provider (429 with retry-after-ms past `maxInFlight` requests in flight). By default the run
// starts at 16, meets the rate limit, lowers its limit (in the run's log, the view and the progress header) and
// finishes with no failed agent; `--concurrency N` pins the limit: never more than N at the model, no adaptation.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

const FAN = (n: number) => `export const meta = { name: 'limited', phases: [{ title: 'Work' }] }
const out = await parallel(Array.from({ length: ${n} }, (_, i) => () => agent('limited item ' + i, { label: 'item ' + i })))
return out.filter(Boolean).length
`
const N = 24
const MAX_IN_FLIGHT = 3

describe('adaptive concurrency on the real OpenCode server with a rate-limited offline model', () => {
  let sb: Sandbox
  let rules: string
  beforeAll(() => {
    sb = makeSandbox()
    rules = join(sb.root, 'rate-limit.json')
    // Latency keeps requests in flight long enough that 16 at once surely meet the limit, however loaded the machine.
    writeFileSync(rules, JSON.stringify({ latencyMs: 800, maxInFlight: MAX_IN_FLIGHT, rateLimitRetryAfterMs: 200 }))
    writeFileSync(join(sb.project, 'limited.js'), FAN(N))
  })
  afterAll(() => sb.cleanup())

  const modelLog = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((e) => e.kind !== 'title')

  it('starts at 16, lowers the limit on 429s, and finishes with no failed agent', () => {
    const log = join(sb.root, 'adaptive-model.log')
    const r = sb.run(['run', '--script', 'limited.js', '--offline', '--yes', '--json'], { env: { OCDW_OFFLINE_RULES: rules, OCDW_OFFLINE_LOG: log }, timeoutMs: 300_000 })
    expect(r.code, r.stderr).toBe(0)
    const s = parseJsonOut(r.stdout)
    expect(s).toMatchObject({ status: 'completed', result: N, agents: { total: N, done: N, failed: 0 } })
    // The model did answer 429: the rate limit was met, so the adaptation below is the governor's doing.
    expect(modelLog(log).some((e) => e.status === 429)).toBe(true)

    const runFile = JSON.parse(readFileSync(join(s.runDir, 'run.json'), 'utf8'))
    expect(runFile.options).toMatchObject({ concurrency: 16, concurrencyMode: 'adaptive' })
    const journal = readFileSync(join(s.runDir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    const cuts = journal.filter((e) => e.t === 'log' && /^concurrency 16 -> \d+ for ocdw-offline\/offline \(.*rate limit or overload\)/.test(e.message))
    expect(cuts.length, JSON.stringify(journal.filter((e) => e.t === 'log'))).toBeGreaterThan(0)
    // The progress shows the limit, and the cut reached the user's terminal.
    expect(r.stderr).toMatch(/concurrency \d+ \(adaptive/)
    expect(r.stderr).toMatch(/concurrency 16 -> \d+ for ocdw-offline\/offline/)
    // The view (`ocdw show --json`) holds the limit the run ended with: below the start.
    const view = parseJsonOut(sb.run(['show', s.runId, '--json']).stdout)
    expect(view.concurrency.mode).toBe('adaptive')
    expect(view.concurrency.limit).toBeLessThan(16)
  })

  it('--concurrency N pins the limit: never more than N at the model, no adaptation, recorded as pinned', () => {
    const log = join(sb.root, 'pinned-model.log')
    const r = sb.run(['run', '--script', 'limited.js', '--offline', '--yes', '--json', '--concurrency', '2'], { env: { OCDW_OFFLINE_RULES: rules, OCDW_OFFLINE_LOG: log }, timeoutMs: 300_000 })
    expect(r.code, r.stderr).toBe(0)
    const s = parseJsonOut(r.stdout)
    expect(s).toMatchObject({ status: 'completed', agents: { total: N, done: N, failed: 0 } })
    const asked = modelLog(log)
    expect(Math.max(...asked.map((e) => e.inFlight))).toBeLessThanOrEqual(2)
    expect(asked.some((e) => e.status === 429)).toBe(false)
    expect(JSON.parse(readFileSync(join(s.runDir, 'run.json'), 'utf8')).options).toMatchObject({ concurrency: 2, concurrencyMode: 'pinned' })
    expect(r.stderr).toMatch(/concurrency 2 \(pinned by --concurrency\)/)
    expect(r.stderr).not.toMatch(/concurrency \d+ -> \d+/)
    const view = parseJsonOut(sb.run(['show', s.runId, '--json']).stdout)
    expect(view.concurrency).toEqual({ limit: 2, mode: 'pinned' })
  })
})
