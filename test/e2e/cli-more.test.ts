// More of the CLI as a user types it (built CLI, real `opencode serve`, offline model, tmux for prompts): bad input
// refused with exit 2 and nothing written, the approval prompt's size caution, `--mode auto` / `bypass`, saved
// workflow precedence (project > personal > bundled) and `save --personal`, and plain progress lines off a TTY.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { exitCodeIn, ocdwInTmux as startOcdwInTmux, type TmuxSession } from '../support/tmux.js'

const script = (name: string, body: string, phases = ['Only']) =>
  `export const meta = { name: '${name}', description: '${name} workflow', phases: [${phases.map((t) => `{ title: '${t}' }`).join(', ')}] }\n${body}\n`

/** Every file and directory under `dir`, as relative paths (to show that a refused command wrote nothing). */
function tree(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f)
      out.push(relative(dir, p))
      if (statSync(p).isDirectory()) walk(p)
    }
  }
  walk(dir)
  return out.sort()
}

describe('ocdw CLI: bad input, approval modes and caution, saved workflow precedence, plain progress', () => {
  let sb: Sandbox
  let personalDir: string
  const sessions: TmuxSession[] = []
  beforeAll(() => {
    sb = makeSandbox('ocdw-more-')
    personalDir = join(sb.env.XDG_CONFIG_HOME!, 'opencode', 'workflows')
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

  it('refuses bad input with exit 2 and a sentence, writing nothing', () => {
    writeFileSync(join(sb.project, 'ok.js'), script('ok', "return await agent('ok')"))
    mkdirSync(join(sb.project, 'adir.js'))
    const before = tree(sb.root)
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'[\s\S]*ocdw --help/],
      [['run', '--script', 'ok.js', '--frobnicate', '--yes'], /unknown option '--frobnicate'[\s\S]*ocdw --help/],
      [['run', '--script', 'missing.js', '--yes'], /Cannot read the script missing\.js \(there is no such file\); give the path of a \.js/],
      [['run', '--script', 'adir.js', '--yes'], /Cannot read the script adir\.js \(it is a directory, not a file\); give the path/],
      [['run', '--script', 'ok.js', '--max-agents', '0', '--yes'], /--max-agents takes a whole number of 1 or more, not "0"\./],
      [['run', '--script', 'ok.js', '--budget', '-5', '--yes'], /--budget takes a whole number of 1 or more, not "-5"\./],
      [['run', '--script', 'ok.js', '--mode', 'bogus', '--yes'], /--mode is default, auto or bypass, not "bogus"\./],
      // A task goes to the planner: a bad --mode must be refused before the planner starts a server.
      [['run', 'count', 'the', 'widgets', '--offline', '--mode', 'bogus'], /--mode is default, auto or bypass, not "bogus"\./],
      [['resume', 'wf_20990101_zzzzzz', '--offline'], /There is no run "wf_20990101_zzzzzz" in .*; `ocdw ls` lists/],
    ]
    for (const [args, message] of cases) {
      const r = sb.run(args, { timeoutMs: 30_000 })
      const what = `ocdw ${args.join(' ')}\n${r.stderr}`
      expect(r.code, what).toBe(2)
      expect(r.stderr, what).toMatch(message)
      expect(r.stderr.trim(), what).toMatch(/[.)]$/)
      expect(r.stderr, what).not.toMatch(/planner|at Object|\n\s+at /)
      expect(r.stdout, what).toBe('')
    }
    expect(tree(sb.root)).toEqual(before)
    expect(runs()).toEqual([])
  })

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

  it('run --name finds project before personal before bundled; save --personal writes to the personal dir', async () => {
    mkdirSync(join(sb.project, '.opencode/workflows'), { recursive: true })
    mkdirSync(personalDir, { recursive: true })
    writeFileSync(join(sb.project, '.opencode/workflows/prec.js'), script('prec', "return 'project prec'"))
    writeFileSync(join(personalDir, 'prec.js'), script('prec', "return 'personal prec'"))
    writeFileSync(join(personalDir, 'demo.js'), script('demo', "return 'personal demo'"))

    const listed = parseJsonOut(sb.run(['workflows', '--json']).stdout) as { name: string; scope: string; path: string }[]
    const byName = (n: string) => listed.filter((w) => w.name === n)
    expect(byName('prec')).toEqual([expect.objectContaining({ scope: 'project', path: join(sb.project, '.opencode/workflows/prec.js') })])
    expect(byName('demo')).toEqual([expect.objectContaining({ scope: 'personal', path: join(personalDir, 'demo.js') })])
    expect(byName('deep-research')).toEqual([expect.objectContaining({ scope: 'bundled' })])

    const [prec, demo] = await Promise.all([
      sb.runAsync(['run', '--name', 'prec', '--offline', '--yes', '--json']),
      sb.runAsync(['run', '--name', 'demo', '--offline', '--yes', '--json']),
    ])
    expect(prec.code, prec.stderr).toBe(0)
    expect(demo.code, demo.stderr).toBe(0)
    const precSummary = parseJsonOut(prec.stdout)
    expect(precSummary.result).toBe('project prec')
    expect(parseJsonOut(demo.stdout).result).toBe('personal demo')

    const save = sb.run(['save', precSummary.runId, '--name', 'kept', '--personal'])
    expect(save.code, save.stderr).toBe(0)
    expect(readFileSync(join(personalDir, 'kept.js'), 'utf8')).toContain("return 'project prec'")
    expect(readFileSync(join(sb.env.XDG_CONFIG_HOME!, 'opencode', 'command', 'kept.md'), 'utf8')).toContain('$ARGUMENTS')
    expect(existsSync(join(sb.project, '.opencode/workflows/kept.js'))).toBe(false)
    expect(existsSync(join(sb.project, '.opencode/command/kept.md'))).toBe(false)
    const after = parseJsonOut(sb.run(['workflows', '--json']).stdout) as { name: string; scope: string }[]
    expect(after.find((w) => w.name === 'kept')).toMatchObject({ scope: 'personal' })

    // With the project one gone, the personal one of the same name is what the list shows.
    rmSync(join(sb.project, '.opencode/workflows/prec.js'))
    const shadowed = parseJsonOut(sb.run(['workflows', '--json']).stdout) as { name: string; scope: string }[]
    expect(shadowed.filter((w) => w.name === 'prec')).toEqual([expect.objectContaining({ scope: 'personal' })])
  })
})
