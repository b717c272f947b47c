// Approval modes as a user meets them (built CLI, real `opencode serve`, offline model, tmux for prompts): the
// approval prompt's size caution, `--mode auto` (asks once, records consent) and `--mode bypass` (never asks, here
// with the plain progress lines a run prints off a TTY).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { leftovers, makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { exitCodeIn, ocdwInTmux as startOcdwInTmux, type TmuxSession } from '../support/tmux.js'

const script = (name: string, body: string, phases = ['Only']) =>
  `export const meta = { name: '${name}', description: '${name} workflow', phases: [${phases.map((t) => `{ title: '${t}' }`).join(', ')}] }\n${body}\n`

describe('ocdw CLI approval modes: the size caution, --mode auto and --mode bypass', () => {
  let sb: Sandbox
  const sessions: TmuxSession[] = []
  beforeAll(() => {
    sb = makeSandbox('ocdw-approval-modes-')
  })
  afterAll(() => {
    for (const s of sessions) s.kill()
    sb.cleanup()
  })

  function ocdwInTmux(args: string): { tmux: TmuxSession; exitFile: string } {
    const started = startOcdwInTmux(sb, args)
    sessions.push(started.tmux)
    return started
  }
  const exitCode = exitCodeIn

  const runs = () => (existsSync(join(sb.project, '.opencode/workflows/runs')) ? readdirSync(join(sb.project, '.opencode/workflows/runs')) : [])

  it('the approval prompt cautions about scripts that can start more than 25 agents, and states a small bound', async () => {
    const many = Array.from({ length: 30 }, (_, i) => `await agent('many ${i}')`).join('\n')
    writeFileSync(join(sb.project, 'many.js'), script('many', `${many}\nreturn 1`))
    writeFileSync(join(sb.project, 'loop.js'), script('loop', "for (const i of [1, 2, 3]) await agent('loop ' + i)\nreturn 1"))
    writeFileSync(join(sb.project, 'small.js'), script('small', "const a = await agent('small a')\nconst b = await agent('small b')\nreturn [a, b]"))
    const prompts = ['many', 'loop', 'small'].map((n) => ({ n, ...ocdwInTmux(`run --script ${n}.js --offline`) }))
    const screens: Record<string, string> = {}
    for (const p of prompts) screens[p.n] = await p.tmux.waitFor('Choose 1-5')
    expect(screens.many).toContain('Workflow: many')
    expect(screens.many).toContain('Caution: this script can start up to 30 agents (more than 25); each uses tokens.')
    expect(screens.loop).toMatch(/Caution: this script starts agents in loops or callbacks, so it can start many \(possibly more than 25\)/)
    expect(screens.small).toContain('It starts at most about 2 agents.')
    expect(screens.small).not.toContain('Caution')
    for (const p of prompts) {
      p.tmux.type('5')
      p.tmux.keys('Enter')
    }
    for (const p of prompts) expect(await exitCode(p.exitFile)).toBe(3)
    expect(runs()).toEqual([])
  })

  it('a task for the planner with no terminal and no --yes is refused before a server starts or the model is asked', () => {
    const log = join(sb.root, 'planner-refused.log')
    const r = sb.run(['run', 'count', 'the', 'widgets', '--offline', '--json'], { env: { OCDW_OFFLINE_LOG: log } })
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/^ocdw: The planner's script needs approval and there is no terminal to ask in, so nothing was started and no model was called; run again with --yes/)
    expect(r.stderr).not.toMatch(/starting OpenCode/)
    expect(parseJsonOut(r.stdout)).toMatchObject({ runId: null, status: 'denied' })
    expect(existsSync(log)).toBe(false)
    expect(leftovers(sb.root)).toEqual([])
    expect(runs()).toEqual([])
  })

  it('--mode auto asks on the first launch, records consent, and the next launch runs without a terminal', async () => {
    writeFileSync(join(sb.project, 'auto.js'), script('autoflow', "return 'auto ' + (await agent('auto hello', { label: 'hello' }) !== null)"))
    // Without a terminal the first launch cannot be approved: auto mode does not skip the first question.
    const refused = sb.run(['run', '--script', 'auto.js', '--offline', '--mode', 'auto'])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/"autoflow" needs approval and there is no terminal to ask in; run again with --yes/)

    const { tmux, exitFile } = ocdwInTmux('run --script auto.js --offline --mode auto')
    await tmux.waitFor('Choose 1-5')
    expect(tmux.capture()).toContain('Workflow: autoflow')
    tmux.type('1')
    tmux.keys('Enter')
    expect(await exitCode(exitFile)).toBe(0)
    const consent = JSON.parse(readFileSync(join(sb.env.XDG_CONFIG_HOME!, 'opencode', 'ocdw', 'consent.json'), 'utf8'))
    expect(consent.entries).toEqual([expect.objectContaining({ name: 'autoflow', projectDir: sb.project })])

    const again = sb.run(['run', '--script', 'auto.js', '--offline', '--mode', 'auto', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).not.toContain('Choose 1-5')
    expect(parseJsonOut(again.stdout)).toMatchObject({ status: 'completed', result: 'auto true' })
    expect(runs()).toHaveLength(2)
  })

  it('--mode bypass never asks; off a TTY progress is plain lines (one per phase, log lines) and --json stdout is pure', () => {
    const body = [
      "phase('Gather')",
      "log('gathering two things')",
      "const got = await parallel([1, 2].map((i) => () => agent('gather ' + i, { label: 'g' + i })))",
      "phase('Judge')",
      "log('judging them now')",
      "await agent('judge: ' + got.filter(Boolean).length, { label: 'judge' })",
      "return 'progress-done'",
    ].join('\n')
    writeFileSync(join(sb.project, 'prog.js'), script('prog', body, ['Gather', 'Judge']))
    const r = sb.run(['run', '--script', 'prog.js', '--offline', '--mode', 'bypass', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toContain('Choose 1-5')
    const summary = parseJsonOut(r.stdout)
    expect(summary).toMatchObject({ status: 'completed', result: 'progress-done', agents: { total: 3, done: 3 } })
    expect(r.stdout).not.toMatch(/gathering|judging|Gather|Judge/)

    expect(r.stderr).not.toMatch(/\x1b/)
    expect(r.stderr).not.toContain('\r')
    const lines = r.stderr.split('\n').filter(Boolean)
    expect(lines).toContain('· gathering two things')
    expect(lines).toContain('· judging them now')
    expect(lines.indexOf('· gathering two things')).toBeLessThan(lines.indexOf('· judging them now'))
    // The final progress block: exactly one line per phase, each with its counts.
    const last = lines.slice(-2)
    expect(last[0]).toMatch(/^Gather\s.*2\/2 done\b.*tok/)
    expect(last[1]).toMatch(/^Judge\s.*1\/1 done\b.*tok/)
  })
})
