// The CLI as a user types it, on the real `opencode serve` with the offline model (`--offline`): run, ls, show,
// save, workflows, control commands against a live run, kill -9 and resume, and the error paths with their messages.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { leftovers, makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { waitFor as waitUntil } from '../support/wait.js'

const FAN = `export const meta = { name: 'fan', description: 'fan out and review', phases: [{ title: 'Ask' }, { title: 'Review' }] }
phase('Ask')
const answers = await parallel([1, 2, 3, 4].map((i) => () => agent('fan question ' + i, { label: 'q' + i })))
const shape = await agent('fan shape', { schema: { type: 'object', properties: { n: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' }, minItems: 2 } }, required: ['n', 'tags'] } })
const review = await agent('fan review: ' + answers.filter(Boolean).length, { phase: 'Review' })
return { answered: answers.filter(Boolean).length, shape, review }
`

const SLOW = (n: number) => `export const meta = { name: 'slow', phases: [{ title: 'Work' }] }
const out = await parallel(Array.from({ length: ${n} }, (_, i) => () => agent('slow item ' + i, { label: 'item ' + i })))
return out.filter(Boolean).length
`

const journalLines = (runDir: string) =>
  existsSync(join(runDir, 'journal.jsonl'))
    ? readFileSync(join(runDir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) } catch { return {} } })
    : []

/** The shared poller with this file's longer default deadline (real-server steps). */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 90_000) => waitUntil(what, probe, timeoutMs)

const runsOf = (sb: Sandbox) => {
  const runs = join(sb.project, '.opencode/workflows/runs')
  return existsSync(runs) ? readdirSync(runs).map((id) => join(runs, id)) : []
}

/** The directory of a run that did not exist in `before` (run ids are not ordered by time within a day). */
function newRunDir(sb: Sandbox, before: string[]): string | undefined {
  return runsOf(sb).find((d) => !before.includes(d))
}

describe('ocdw CLI on the real OpenCode server with the offline model', () => {
  let sb: Sandbox
  beforeAll(() => {
    sb = makeSandbox()
    writeFileSync(join(sb.project, 'fan.js'), FAN)
  })
  afterAll(() => sb.cleanup())

  it('runs a script, then ls / show / save / workflows see it', () => {
    const r = sb.run(['run', '--script', 'fan.js', '--offline', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const summary = parseJsonOut(r.stdout)
    expect(summary.status).toBe('completed')
    expect(summary.agents).toMatchObject({ total: 6, done: 6, failed: 0, cached: 0 })
    expect(summary.tokens.total).toBeGreaterThan(0)
    expect(summary.result.answered).toBe(4)
    expect(Number.isInteger(summary.result.shape.n)).toBe(true)
    expect(summary.result.shape.tags.length).toBeGreaterThanOrEqual(2)
    expect(typeof summary.result.review).toBe('string')
    for (const f of ['script.js', 'run.json', 'journal.jsonl', 'snapshot.json', 'result.json', 'report.md']) {
      expect(existsSync(join(summary.runDir, f)), f).toBe(true)
    }

    const ls = parseJsonOut(sb.run(['ls', '--json']).stdout)
    expect(ls[0]).toMatchObject({ id: summary.runId, status: 'completed', name: 'fan' })

    const show = sb.run(['show', summary.runId, '--json'])
    expect(show.code, show.stderr).toBe(0)
    const view = parseJsonOut(show.stdout)
    expect(view.phases.map((p: any) => p.title)).toEqual(['Ask', 'Review'])
    expect(view.agents).toHaveLength(6)

    const save = sb.run(['save', summary.runId, '--name', 'fan-saved'])
    expect(save.code, save.stderr).toBe(0)
    expect(existsSync(join(sb.project, '.opencode/workflows/fan-saved.js'))).toBe(true)
    expect(readFileSync(join(sb.project, '.opencode/command/fan-saved.md'), 'utf8')).toContain('$ARGUMENTS')
    const again = sb.run(['save', summary.runId, '--name', 'fan-saved'])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/already exists.*--force/)
    const workflows = parseJsonOut(sb.run(['workflows', '--json']).stdout)
    expect(workflows.find((w: any) => w.name === 'fan-saved')).toMatchObject({ scope: 'project', description: 'fan out and review' })
    expect(workflows.map((w: any) => w.name)).toEqual(expect.arrayContaining(['deep-research', 'codebase-audit', 'migrate', 'demo']))
  })

  it('refuses bad input with a sentence and the contract exit codes, writing no run', () => {
    writeFileSync(join(sb.project, 'broken.js'), "export const meta = { name: 'broken' }\nconst x = await agent('a'\n")
    const broken = sb.run(['run', '--script', 'broken.js', '--yes'])
    expect(broken.code).toBe(2)
    expect(broken.stderr).toMatch(/line \d+/)

    const noTty = sb.run(['run', '--script', 'fan.js'])
    expect(noTty.code).toBe(3)
    expect(noTty.stderr).toMatch(/--yes/)

    const unknown = sb.run(['run', '--name', 'no-such-workflow', '--yes'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/no workflow named "no-such-workflow".*ocdw workflows/)

    const missing = sb.run(['show', 'wf_nope'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/no run "wf_nope".*ocdw ls/)

    const badFlag = sb.run(['run', '--script', 'fan.js', '--concurrency', 'lots', '--yes'])
    expect(badFlag.code).toBe(2)
    expect(badFlag.stderr).toMatch(/--concurrency/)

    const notLive = sb.run(['stop', parseJsonOut(sb.run(['ls', '--json']).stdout)[0].id])
    expect(notLive.code).toBe(2)
    expect(notLive.stderr).toMatch(/not running.*resume/)
  })

  it('stops one agent of a live run through the control channel; the run finishes without it', async () => {
    const rules = join(sb.root, 'slow-rules.json')
    // Answers take 20 s, so the agent is surely still running when `ocdw stop` (a whole CLI start) reaches it on a
    // loaded machine.
    writeFileSync(rules, JSON.stringify({ latencyMs: 20_000, rules: [] }))
    writeFileSync(join(sb.project, 'slow.js'), SLOW(3))
    const before = runsOf(sb)
    const child = sb.spawn(['run', '--script', 'slow.js', '--offline', '--yes', '--json', '--concurrency', '3'], { env: { OCDW_OFFLINE_RULES: rules } })
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    const runDir = await waitFor('the run dir', () => {
      const d = newRunDir(sb, before)
      return d && existsSync(join(d, 'control.json')) && d
    })
    const started = await waitFor('a started agent', () => journalLines(runDir).find((e) => e.t === 'agent.started'))
    const stop = sb.run(['stop', runDir.split('/').pop()!, '--agent', started.key])
    expect(stop.code, stop.stderr).toBe(0)
    expect(await exited).toBe(0)
    const summary = parseJsonOut(child.output().stdout)
    expect(summary.agents).toMatchObject({ total: 3, done: 2, stopped: 1 })
    expect(summary.result).toBe(2)
    const view = parseJsonOut(sb.run(['show', summary.runId, '--json']).stdout)
    expect(view.agents.find((a: any) => a.key === started.key).status).toBe('stopped')
  })

  it('survives kill -9: resume answers journaled agents without asking the model again', async () => {
    const rules = join(sb.root, 'crash-rules.json')
    const log = join(sb.root, 'crash-model.log')
    writeFileSync(rules, JSON.stringify({ latencyMs: 400, rules: [] }))
    writeFileSync(join(sb.project, 'crash.js'), SLOW(12).replace("'slow'", "'crash'").replace(/slow item/g, 'crash item'))
    const env = { OCDW_OFFLINE_RULES: rules, OCDW_OFFLINE_LOG: log }
    const before = runsOf(sb)
    const child = sb.spawn(['run', '--script', 'crash.js', '--offline', '--yes', '--json', '--concurrency', '2'], { env })
    const runDir = await waitFor('the crash run', () => newRunDir(sb, before))
    await waitFor('4 journaled agents', () => journalLines(runDir).filter((e) => e.t === 'agent.done').length >= 4)
    process.kill(-child.pid!, 'SIGKILL')
    await new Promise((r) => child.on('exit', r))
    // The OpenCode server the killed CLI started does not outlive it (its watchdog ends it).
    await waitFor('the orphaned server to exit', () => leftovers(sb.root).length === 0, 15_000)
    const doneBefore = journalLines(runDir).filter((e) => e.t === 'agent.done').map((e) => e.label)
    expect(doneBefore.length).toBeGreaterThanOrEqual(4)

    const resumed = sb.run(['resume', runDir.split('/').pop()!, '--offline', '--json'], { env })
    expect(resumed.code, resumed.stderr).toBe(0)
    const summary = parseJsonOut(resumed.stdout)
    expect(summary.status).toBe('completed')
    expect(summary.result).toBe(12)
    expect(summary.agents.cached).toBe(doneBefore.length)
    const asked = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.kind !== 'title')
    for (const label of doneBefore) {
      const prompt = 'crash item ' + label.replace('item ', '')
      expect(asked.filter((e) => e.lastUser === prompt).length, prompt).toBe(1)
    }
  })

  it('--detach prints the run id; pause, resume and restart from other processes reach the live run', async () => {
    const rules = join(sb.root, 'detach-rules.json')
    // Item 0 answers slowly (so it is surely still running when restarted and when the pause lands, however slowly
    // the CLI starts on a loaded machine), the others quickly.
    writeFileSync(rules, JSON.stringify({ latencyMs: 300, rules: [{ match: '^detached item 0$', latencyMs: 30_000, reply: { text: 'slow zero' } }] }))
    writeFileSync(join(sb.project, 'detach.js'), SLOW(3).replace("'slow'", "'detached'").replace(/slow item/g, 'detached item'))
    const env = { OCDW_OFFLINE_RULES: rules }
    const r = sb.run(['run', '--script', 'detach.js', '--offline', '--yes', '--detach', '--concurrency', '1'], { env })
    expect(r.code, r.stderr).toBe(0)
    const id = r.stdout.trim()
    expect(id).toMatch(/^wf_\d{8}_[a-z0-9]{6}$/)
    const runDir = join(sb.project, '.opencode/workflows/runs', id)
    const first = await waitFor('the first agent', () => journalLines(runDir).find((e) => e.t === 'agent.started'))

    // Restart first, while that agent is surely still running (its answer takes 12 s).
    const restart = sb.run(['restart', id, '--agent', first.key])
    expect(restart.code, restart.stderr).toBe(0)

    // A second writer is refused, naming the live one.
    const second = sb.run(['resume', id, '--offline'])
    expect(second.code).toBe(2)
    expect(second.stderr).toMatch(/is in use by process \d+ on .*ocdw stop/)

    expect(sb.run(['pause', id]).code).toBe(0)
    expect(parseJsonOut(sb.run(['show', id, '--json']).stdout).status).toBe('paused')
    expect(sb.run(['pause', id, '--resume']).code).toBe(0)
    // Unpaused: running again, or already done if item 0 answered during the pause and the fast ones followed.
    expect(['running', 'completed']).toContain(parseJsonOut(sb.run(['show', id, '--json']).stdout).status)

    const view = await waitFor('the detached run to finish', () => {
      const v = parseJsonOut(sb.run(['show', id, '--json']).stdout)
      return v.status === 'completed' && v
    }, 120_000)
    expect(view.agents.find((a: any) => a.key === first.key).attempt).toBe(2)
    expect(view.agents.map((a: any) => `${a.label}:${a.status}`), JSON.stringify(view.agents.map((a: any) => a.error))).toEqual(['item 0:done', 'item 1:done', 'item 2:done'])
    expect(view.result).toBe(3)
  }, 300_000)

  it('never has more than --concurrency agents at the model; a permanently failing agent fails alone', () => {
    const rules = join(sb.root, 'conc-rules.json')
    const log = join(sb.root, 'conc-model.log')
    writeFileSync(rules, JSON.stringify({ latencyMs: 400, rules: [{ match: '^conc item 4$', fail: 500 }] }))
    writeFileSync(join(sb.project, 'conc.js'), SLOW(9).replace("'slow'", "'conc'").replace(/slow item/g, 'conc item'))
    const r = sb.run(['run', '--script', 'conc.js', '--offline', '--yes', '--json', '--concurrency', '3'], { env: { OCDW_OFFLINE_RULES: rules, OCDW_OFFLINE_LOG: log } })
    expect(r.code, r.stderr).toBe(0)
    const s = parseJsonOut(r.stdout)
    expect(s.status).toBe('completed')
    expect(s.agents).toMatchObject({ total: 9, done: 8, failed: 1 })
    expect(s.result).toBe(8)
    const asked = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.kind !== 'title')
    const most = Math.max(...asked.map((e) => e.inFlight))
    expect(most).toBeLessThanOrEqual(3)
    expect(most).toBeGreaterThanOrEqual(2)
    const view = parseJsonOut(sb.run(['show', s.runId, '--json']).stdout)
    expect(view.agents.find((a: any) => a.label === 'item 4')).toMatchObject({ status: 'failed' })
    expect(view.agents.find((a: any) => a.label === 'item 4').error).toMatch(/failed|error/i)
  })
})
