// Saved workflows from the CLI (built CLI, real `opencode serve`, offline model): `run --name` finds a project
// workflow before a personal one before a bundled one, and `save --personal` writes the workflow and its /<name>
// command to the personal folders only; a script file named by Claude Code's `workflow({ scriptPath })` is covered by
// the approval and runs.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

const script = (name: string, body: string, phases = ['Only']) =>
  `export const meta = { name: '${name}', description: '${name} workflow', phases: [${phases.map((t) => `{ title: '${t}' }`).join(', ')}] }\n${body}\n`

describe('ocdw CLI: saved workflow precedence and save --personal', () => {
  let sb: Sandbox
  let personalDir: string
  beforeAll(() => {
    sb = makeSandbox('ocdw-saved-')
    personalDir = join(sb.env.XDG_CONFIG_HOME!, 'opencode', 'workflows')
  })
  afterAll(() => {
    sb.cleanup()
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

  it("workflow({ scriptPath: 'inner.js' }) (Claude Code's reference form) is part of what was approved, and runs", () => {
    writeFileSync(join(sb.project, 'inner.js'), script('inner', "return 'inner got ' + args"))
    writeFileSync(join(sb.project, 'outer.js'), script('outer', "return await workflow({ scriptPath: 'inner.js' }, 'by path')"))
    const r = sb.run(['run', '--script', 'outer.js', '--offline', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const summary = parseJsonOut(r.stdout)
    expect(summary.result).toBe('inner got by path')
    const run = JSON.parse(readFileSync(join(sb.project, '.opencode/workflows/runs', summary.runId, 'run.json'), 'utf8'))
    expect(Object.keys(run.approved.workflows)).toEqual(['inner.js'])
  })
})
