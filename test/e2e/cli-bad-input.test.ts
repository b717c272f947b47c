// Bad input as a user types it (built CLI, real `opencode serve`, offline model): unknown commands and options, an
// unreadable script, bad numbers and modes, an unknown run are each refused with exit 2 and one sentence, and nothing
// is written.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, type Sandbox } from '../support/cli.js'

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

describe('ocdw CLI: bad input', () => {
  let sb: Sandbox
  beforeAll(() => {
    sb = makeSandbox('ocdw-bad-input-')
  })
  afterAll(() => {
    sb.cleanup()
  })

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
      [['run', '--script', 'ok.js', '--args', '{files: 3}', '--yes'], /--args looks like JSON but does not parse \(.*\); fix the JSON or quote it as plain text\./],
      // A task goes to the planner: a bad --mode must be refused before the planner starts a server.
      [['run', 'count', 'the', 'widgets', '--offline', '--mode', 'bogus'], /--mode is default, auto or bypass, not "bogus"\./],
      [['run', '--script', 'ok.js', '--server', 'ftp://example.com', '--yes'], /--server takes an http\(s\) URL such as http:\/\/127\.0\.0\.1:4096, not "ftp:\/\/example\.com"\./],
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
})
