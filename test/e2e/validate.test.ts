// `ocdw validate`: zero-token checks of a workflow through the built CLI. No OpenCode server and no model are
// involved, and the test proves it: the offline model's request log stays empty and no run is created.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

describe('ocdw validate', () => {
  let sb: Sandbox
  const modelLog = () => join(sb.root, 'model.log')
  const validate = (args: string[]) => sb.run(['validate', ...args], { env: { OCDW_OFFLINE_LOG: modelLog() } })
  const script = (name: string, text: string) => {
    writeFileSync(join(sb.project, name), text)
    return name
  }
  beforeAll(() => {
    sb = makeSandbox('ocdw-validate-')
  })
  afterAll(() => {
    // Nothing was spent: no model request, no run on disk.
    expect(existsSync(modelLog())).toBe(false)
    expect(existsSync(join(sb.project, '.opencode/workflows/runs'))).toBe(false)
    sb.cleanup()
  })

  it('a bundled workflow: prints the phases and every agent call of a dry run on schema-shaped mock answers, exit 0', () => {
    const r = validate(['codebase-audit', '--args', '"security"'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('workflow: codebase-audit')
    expect(r.stdout).toContain('declared phases: Survey, Audit, Review, Report')
    expect(r.stdout).toMatch(/static estimate: \d+ agents outside loops, more in loops or callbacks/)
    expect(r.stdout).toMatch(/ {2}phase Survey\n +1\. survey \[schema\]: Survey this repository/)
    expect(r.stdout).toMatch(/ {2}phase Audit\n +2\. audit \S.* \[schema\]: Audit the area "/)
    expect(r.stdout).toMatch(/\d+ agent calls in 3 phases \(Survey, Audit, Review\); 0 gates; no tokens spent\./)
    expect(r.stdout.trim().split('\n').at(-1)).toBe('OK: the script is valid.')

    const json = parseJsonOut(validate(['migrate', '--args', '{"goal":"port to ESM","gate":"npm test"}', '--json']).stdout)
    expect(json.ok).toBe(true)
    expect(json.phases).toEqual(['Understand', 'Change', 'Verify'])
    expect(json.agents[0]).toMatchObject({ phase: 'Understand', label: 'survey', schema: true })
    expect(json.gates.length).toBeGreaterThanOrEqual(2) // one per item and the final check, none of them run
    expect(json.gates.every((g: string) => g === 'npm test')).toBe(true)
  })

  it('the dry run predicts the real run: the same agent calls as `ocdw run --offline` on the real OpenCode server', async () => {
    const dry = parseJsonOut(validate(['demo', '--args', '"tides"', '--json']).stdout)
    expect(dry.ok).toBe(true)
    const real = makeSandbox('ocdw-validate-real-')
    try {
      const r = await real.runAsync(['run', '--name', 'demo', '--args', 'tides', '--offline', '--yes', '--json'])
      expect(r.code, r.stderr).toBe(0)
      const view = parseJsonOut(real.run(['show', parseJsonOut(r.stdout).runId, '--json']).stdout)
      // Same phases and labels; keys of later agents differ because their prompts quote earlier (mock vs model) text.
      const calls = (list: { phase: string; label: string | null }[]) => list.map((a) => `${a.phase}/${a.label}`).sort()
      expect(calls(view.agents)).toEqual(calls(dry.agents))
    } finally {
      real.cleanup()
    }
  })

  it('a script file with a syntax error: exit 2 naming the line', () => {
    const r = validate([script('broken.js', "export const meta = { name: 'b' }\nconst x = = 1\nawait agent('a')\n")])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^ocdw: At line 2, column \d+: The script has a syntax error/)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('a phase missing from meta.phases: exit 2 with that problem', () => {
    const r = validate([script('phases.js', "export const meta = { name: 'p', phases: [{ title: 'One' }] }\nphase('Two')\nawait agent('x')\n")])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/phase\('Two'\) at line 2 names a phase that is not in meta\.phases/)
  })

  it('a script that breaks on the mock answers: exit 2 with the line, after printing the calls it made', () => {
    const r = validate([
      script('runtime.js', "export const meta = { name: 'r' }\nconst a = await agent('list', { label: 'lister', schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } })\nreturn a.items.length\n"),
    ])
    expect(r.code).toBe(2)
    expect(r.stdout).toContain('1. lister [schema]: list')
    expect(r.stderr).toMatch(/The dry run failed \(with mock answers\): The script failed at line 3, column \d+: TypeError/)
  })

  it('the bundled migrate without its goal: exit 2 with the script\'s own message', () => {
    const r = validate(['migrate'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('migrate needs a goal')
  })

  it('a runaway fan-out is stopped at --max-agents: exit 2', () => {
    const r = validate([script('loop.js', "export const meta = { name: 'loop' }\nfor (let i = 0; ; i++) await agent('again ' + i)\n"), '--max-agents', '5'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/asked for more than 5 agents/)
  })

  it('a missing file or an unknown workflow: exit 2, one sentence', () => {
    const missing = validate(['nope/none.js'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/Cannot read the script nope\/none\.js \(there is no such file\)/)
    const unknown = validate(['no-such-workflow'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/There is no workflow named "no-such-workflow"/)
  })
})
