// What a newcomer reads and tries first, through the built CLI on the real `opencode serve` with the offline model:
// the README's first command (`ocdw run "task" --offline`: the planner -> approval -> run, a toy plan), progress in
// a log (one line per event), --quiet, a project whose `git status` stays clean, and reports that render.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { exitCodeIn, ocdwInTmux, type TmuxSession } from '../support/tmux.js'

describe('first use: the offline planner, progress, git hygiene, reports', () => {
  let sb: Sandbox
  const sessions: TmuxSession[] = []
  const git = (...args: string[]) => execFileSync('git', args, { cwd: sb.project, encoding: 'utf8', env: { ...sb.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } })
  const runDirOf = (id: string) => join(sb.project, '.opencode/workflows/runs', id)
  beforeAll(() => {
    sb = makeSandbox('ocdw-first-')
    git('init', '-q')
    writeFileSync(join(sb.project, 'README.md'), '# a project\n')
    git('add', 'README.md')
    git('commit', '-qm', 'init')
  })
  afterAll(() => {
    for (const s of sessions) s.kill()
    sb.cleanup()
  })

  it('`ocdw run "task" --offline`: the offline model answers the planner with a toy plan that runs; a log gets one line per event', async () => {
    const r = await sb.runAsync(['run', 'count', 'the', 'widgets', '--offline', '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('the planner is writing a script (attempt 1/3)')
    expect(r.stderr).not.toContain('attempt 2/3')
    const result = JSON.parse(r.stdout)
    expect(result.task).toBe('count the widgets')
    expect(result.steps).toEqual(['Find out what "count the widgets" involves', 'Do it: count the widgets', 'Check the result of "count the widgets"'])
    expect(result.work).toHaveLength(3)
    expect(typeof result.review).toBe('string')

    // Off a terminal, each agent gets a "started" and a "done" line, each phase one line when it starts, and the
    // phase block prints once at the end (not every 2 s).
    const lines = r.stderr.split('\n')
    expect(lines.filter((l) => /^ {2}started {2}"/.test(l))).toHaveLength(5)
    expect(lines.filter((l) => /^ {2}done {5}"/.test(l))).toHaveLength(5)
    expect(lines.filter((l) => /^phase (Plan|Work|Review)$/.test(l))).toEqual(['phase Plan', 'phase Work', 'phase Review'])
    expect(lines.filter((l) => /^Work +\S+ \d+\/\d+ done/.test(l))).toHaveLength(1)
    expect(lines.findIndex((l) => l.startsWith('phase Review'))).toBeLessThan(lines.findIndex((l) => /^Plan +\S+ 1\/1 done/.test(l)))
  })

  it('planner -> approval -> run in a terminal: the toy plan is shown for approval and runs when approved', async () => {
    const { tmux, exitFile } = ocdwInTmux(sb, 'run "tidy the docs folder" --offline')
    sessions.push(tmux)
    await tmux.waitFor('Choose 1-5')
    const screen = tmux.capture()
    expect(screen).toContain('Workflow: tidy-the-docs-folder')
    expect(screen).toContain('A toy plan written by the offline model')
    tmux.type('1')
    tmux.keys('Enter')
    expect(await exitCodeIn(exitFile)).toBe(0)
    const runs = parseJsonOut(sb.run(['ls', '--json']).stdout)
    expect(runs.find((x: any) => x.name === 'tidy-the-docs-folder')?.status).toBe('completed')
  })

  it('runs never show in `git status` (ocdw writes .opencode/workflows/.gitignore); saved workflows still do', () => {
    const runs = readdirSync(join(sb.project, '.opencode/workflows/runs'))
    expect(runs.length).toBeGreaterThan(0)
    expect(runs.every((f) => f.startsWith('wf_')), 'the runs folder holds only runs').toBe(true)
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('')
    expect(readFileSync(join(sb.project, '.opencode/workflows/.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['/runs/', '/.gitignore']))
    writeFileSync(join(sb.project, '.opencode/workflows/mine.js'), "export const meta = { name: 'mine' }\nreturn 1\n")
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('?? .opencode/workflows/mine.js\n')
  })

  it('--quiet prints only the result', async () => {
    writeFileSync(join(sb.root, 'one.js'), "export const meta = { name: 'one', phases: [{ title: 'Only' }] }\nlog('hello from the script')\nconst a = await agent('say one', { label: 'sayer' })\nreturn 'the answer'\n")
    const r = await sb.runAsync(['run', '--script', join(sb.root, 'one.js'), '--offline', '--yes', '--quiet'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('the answer\n')
    expect(r.stderr).toBe('')
  })

  it('report.md and `ocdw show` render a structured result as Markdown (lists, tables), raw JSON stays in result.json', async () => {
    const script = `export const meta = { name: 'structured', phases: [{ title: 'Only' }] }
const note = await agent('say something', { label: 'note' })
return {
  summary: 'Two files checked.',
  files: [{ path: 'a.js', ok: true, lines: 12 }, { path: 'b|c.js', ok: false, lines: 3 }],
  tags: ['fast', 'small'],
  details: { owner: 'team', longText: 'line one\\nline two' },
  danger: 'bell \\u0007 and \\u001b]52;c;aGk=\\u0007 clipboard',
}
`
    writeFileSync(join(sb.root, 'structured.js'), script)
    const r = await sb.runAsync(['run', '--script', join(sb.root, 'structured.js'), '--offline', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const { runId } = parseJsonOut(r.stdout)
    const report = readFileSync(join(runDirOf(runId), 'report.md'), 'utf8')
    const result = report.split('## Result')[1]
    expect(result).toContain('- **summary**: Two files checked.')
    expect(result).toContain('| path | ok | lines |\n|---|---|---|\n| a.js | true | 12 |\n| b\\|c.js | false | 3 |')
    expect(result).toContain('### tags\n\n- fast\n- small')
    expect(result).toContain('### details\n\n- **owner**: team\n\n#### longText\n\nline one\nline two')
    expect(result).not.toContain('```json')
    expect(result).toContain('result.json')
    expect(JSON.parse(readFileSync(join(runDirOf(runId), 'result.json'), 'utf8')).files[1]).toEqual({ path: 'b|c.js', ok: false, lines: 3 })

    const show = sb.run(['show', runId])
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toContain('| path | ok | lines |')
    expect(show.stdout).toContain('## tags\n\n- fast\n- small')
    expect(show.stdout).toContain('bell  and  clipboard')
    expect(show.stdout).not.toMatch(/[\u0007\u001b]/)
  })

  it('a Markdown result (a bundled workflow\'s report) is written as Markdown, not as an escaped JSON string', async () => {
    const script = `export const meta = { name: 'md', phases: [{ title: 'Only' }] }
await agent('say something', { label: 'note' })
return { report: '# Findings\\n\\n- one **bold** point\\n- another', count: 2, items: [1, 2] }
`
    writeFileSync(join(sb.root, 'md.js'), script)
    const r = await sb.runAsync(['run', '--script', join(sb.root, 'md.js'), '--offline', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const { runId } = parseJsonOut(r.stdout)
    const report = readFileSync(join(runDirOf(runId), 'report.md'), 'utf8')
    expect(report).toContain('## Result\n\n### Findings\n\n- one **bold** point\n- another\n\n- **count**: 2')
    expect(report).not.toContain('\\n')
    expect(sb.run(['show', runId]).stdout).toContain('## Findings\n\n- one **bold** point\n- another')
  })
})
