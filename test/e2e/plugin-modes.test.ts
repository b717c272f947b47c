// The ocdw plugin in the ways people run OpenCode, on the real `opencode` binary with the offline model: a one-shot
// `opencode run --command workflow` (the plugin is served in-process there: nothing listens on input.serverUrl), and
// `opencode serve` protected by a password with `opencode run --attach` (background by default; the end of the run
// wakes the model); in a one-shot run, only sub-workflows covered by the approval run. Each checks that the agents are
// *done* (`ocdw show --json`), not just that a run finished.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { makeOpencodeHome, runOpencode, serve, type OpencodeHome } from '../support/opencode-home.js'
import { waitFor } from '../support/wait.js'

const TINY = `export const meta = { name: 'tiny', description: 'two agents', phases: [{ title: 'Ask' }] }
const a = await parallel([1, 2].map((i) => () => agent('tiny question ' + i, { label: 'q' + i })))
return { answered: a.filter(Boolean).length, marker: 'tiny-done', args }
`
const FROM_FILE = `export const meta = { name: 'from-file' }
return { source: 'the file', args }
`
// A script that calls a project workflow by its written name, and one that computes the name (never shown for approval).
const PARENT = `export const meta = { name: 'parent' }\nreturn await workflow('helper')\n`
const COMPUTED = `export const meta = { name: 'computed' }\nconst name = ['hel', 'per'].join('')\nreturn await workflow(name)\n`
const RULES = [
  { match: '^"?run parent"?$', reply: { tools: [{ name: 'workflow', args: { script: PARENT } }] }, then: { text: 'parent done' } },
  { match: '^"?run computed"?$', reply: { tools: [{ name: 'workflow', args: { script: COMPUTED } }] }, then: { text: 'computed done' } },
  { match: '^"?scriptPath wins"?$', reply: { tools: [{ name: 'workflow', args: { scriptPath: 'from-file.js', script: TINY, name: 'deep-research', args: { n: 1 } } }] }, then: { text: 'file run done' } },
  // `/workflow <task>`: the command's template starts with the task.
  { match: 'Run an ocdw workflow for this task: .?tiny one-shot', reply: { tools: [{ name: 'workflow', args: { script: TINY, args: [1, 'two', { three: 3 }], background: true } }] }, then: { text: 'one-shot done' } },
  { match: '^"?attach tiny"?$', reply: { tools: [{ name: 'workflow', args: { script: TINY, args: ['attached'] } }] }, then: { text: 'started in the background' } },
  { match: '^\\[ocdw workflow tiny finished\\]', reply: { text: 'I saw the workflow result.' } },
]

describe('the ocdw plugin in every OpenCode mode (real binary, offline model)', () => {
  let sb: Sandbox
  let oc: OpencodeHome
  const runIds = () => (existsSync(join(sb.project, '.opencode/workflows/runs')) ? readdirSync(join(sb.project, '.opencode/workflows/runs')) : [])
  const show = (id: string) => parseJsonOut(sb.run(['show', id, '--json']).stdout)

  beforeAll(async () => {
    sb = makeSandbox('ocdw-plugin-modes-')
    // The workflow permission is allowed in config, as a user who trusts the model would set it.
    oc = await makeOpencodeHome(sb.root, sb.project, { rules: RULES, permission: { workflow: 'allow' } })
  }, 60_000)

  afterAll(async () => {
    await oc?.stop()
    sb?.cleanup()
  }, 60_000)

  it('opencode run --command workflow (background asked, but a one-shot run waits): the agents run in-process and are done; they cannot call workflow and know their final message is the return value', async () => {
    const r = await runOpencode(oc, sb.project, ['run', '--command', 'workflow', 'tiny one-shot please'])
    expect(r.code, r.output).toBe(0)
    expect(r.output).toContain('one-shot done')
    const [runId] = runIds()
    expect(runId).toMatch(/^wf_/)
    const view = show(runId)
    expect(view.status).toBe('completed')
    expect(view.agents.map((a: any) => [a.label, a.status])).toEqual([
      ['q1', 'done'],
      ['q2', 'done'],
    ])
    // Claude-style array args validated and reached the script.
    expect(view.result).toMatchObject({ answered: 2, marker: 'tiny-done', args: [1, 'two', { three: 3 }] })

    const requests = oc.log().filter((l) => l.kind !== 'title')
    const parent = requests.filter((l) => l.lastUser.includes('tiny one-shot'))
    const agents = requests.filter((l) => /^tiny question [12]$/.test(l.lastUser))
    expect(parent[0].tools).toContain('workflow')
    expect(agents).toHaveLength(2)
    for (const a of agents) {
      expect(a.tools).not.toContain('workflow')
      expect(a.tools).not.toContain('workflow_control')
      expect(a.system).toContain('Your final message is your return value')
    }
  }, 400_000)

  it('scriptPath wins over script and name; an object arg reaches the script', async () => {
    writeFileSync(join(sb.project, 'from-file.js'), FROM_FILE)
    const before = new Set(runIds())
    const r = await runOpencode(oc, sb.project, ['run', 'scriptPath wins'])
    expect(r.code, r.output).toBe(0)
    const runId = runIds().find((id) => !before.has(id))!
    const view = show(runId)
    expect(view.name).toBe('from-file')
    expect(view.status).toBe('completed')
    expect(view.result).toEqual({ source: 'the file', args: { n: 1 } })
  }, 400_000)

  it('opencode run: a sub-workflow approved with the script runs; one called by a computed name does not', async () => {
    mkdirSync(join(sb.project, '.opencode/workflows'), { recursive: true })
    writeFileSync(join(sb.project, '.opencode/workflows/helper.js'), `export const meta = { name: 'helper' }\nreturn await agent('helper question', { label: 'helper' })\n`)
    let before = new Set(runIds())
    expect((await runOpencode(oc, sb.project, ['run', 'run parent'])).code).toBe(0)
    const parent = show(runIds().find((id) => !before.has(id))!)
    expect(parent.status).toBe('completed')
    expect(parent.agents.map((a: any) => [a.label, a.status])).toEqual([['helper', 'done']])

    before = new Set(runIds())
    await runOpencode(oc, sb.project, ['run', 'run computed'])
    const computed = show(runIds().find((id) => !before.has(id))!)
    expect(computed.status).toBe('failed')
    expect(computed.error).toMatch(/workflow\("helper"\) was not part of what was approved/)
    expect(computed.agents).toEqual([])
  }, 400_000)

  it('opencode serve with a password + run --attach: background by default, agents done, and the end of the run wakes the model', async () => {
    const auth = { OPENCODE_SERVER_PASSWORD: 'modes-test-secret', OPENCODE_SERVER_USERNAME: 'opencode' }
    const server = await serve(oc, sb.project, auth)
    try {
      // Without the password the server refuses: the plugin's own requests below must carry it.
      expect((await fetch(`${server.url}/session`)).status).toBe(401)
      const before = new Set(runIds())
      const r = await runOpencode(oc, sb.project, ['run', '--attach', server.url, 'attach tiny'], auth)
      expect(r.code, r.output).toBe(0)
      expect(r.output, r.output).toMatch(/workflow tiny started: wf_/)
      const runId = await waitFor('the attached run', () => runIds().find((id) => !before.has(id)), 60_000)
      const view = await waitFor('the attached run to complete', () => {
        const v = show(runId)
        return v.status === 'completed' && v
      }, 120_000)
      expect(view.agents.map((a: any) => a.status)).toEqual(['done', 'done'])
      expect(view.result).toMatchObject({ args: ['attached'] })
      // A real prompt, not a silent note: the model was called with the outcome.
      const woke = await waitFor('the model woken by the finished run', () => oc.log().find((l) => l.lastUser.startsWith('[ocdw workflow tiny finished]')), 60_000)
      expect(woke.lastUser).toContain(runId)
      expect(woke.lastUser).toContain('2/2 agents done')
      expect(woke.lastUser).toContain('"marker": "tiny-done"')
    } finally {
      await server.stop()
    }
  }, 400_000)
})
