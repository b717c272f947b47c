// The ocdw plugin in OpenCode's own TUI (`opencode`, the real binary, in a tmux pane on a private tmux server), with
// the offline model: `/workflow <task>` → the model calls `workflow` → OpenCode's permission dialog (with the
// approval summary next to it) → "Allow once" → the agents run as child sessions of the in-process server → the
// run's end wakes the model, and the result is in the conversation. Agents are checked *done* with `ocdw show --json`.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { makeOpencodeHome, type OpencodeHome } from '../support/opencode-home.js'
import { shellQuote } from '../support/tmux.js'
import { waitFor } from '../support/wait.js'

const TINY = `export const meta = { name: 'tiny', description: 'two agents', phases: [{ title: 'Ask' }] }
const a = await parallel([1, 2].map((i) => () => agent('tiny question ' + i, { label: 'q' + i })))
return { answered: a.filter(Boolean).length, marker: 'tiny-done' }
`
const RULES = [
  { match: 'Run an ocdw workflow for this task: .?tiny tui', reply: { tools: [{ name: 'workflow', args: { script: TINY } }] }, then: { text: 'WORKFLOW STARTED OK' } },
  { match: '^\\[ocdw workflow tiny finished\\]', reply: { text: 'RESULT SEEN BY THE MODEL' } },
]
const SESSION = 'oc'

describe('the ocdw plugin in the OpenCode TUI (real binary under tmux, offline model)', () => {
  let sb: Sandbox
  let oc: OpencodeHome
  let socket = ''
  const tmuxEnv = { ...process.env }
  delete tmuxEnv.TMUX
  const tmux = (...args: string[]) => spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env: tmuxEnv })
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-300', '-t', SESSION).stdout ?? ''
  const waitScreen = async (what: string, pattern: RegExp, timeoutMs = 90_000) => {
    try {
      return await waitFor(what, () => pattern.test(screen()) && screen(), timeoutMs)
    } catch (err) {
      throw new Error(`${(err as Error).message}\nlast screen:\n${screen()}`)
    }
  }
  const runsDir = () => join(sb.project, '.opencode/workflows/runs')

  beforeAll(async () => {
    sb = makeSandbox('ocdw-plugin-tui-')
    socket = join(sb.root, 'tmux.sock')
    // Approval asks: the TUI's own permission dialog must come up.
    oc = await makeOpencodeHome(sb.root, sb.project, { rules: RULES, permission: { workflow: 'ask' } })
    const env = Object.entries(oc.env)
      .filter(([k, v]) => v !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      .map(([k, v]) => `${k}=${shellQuote(v!)}`)
      .join(' ')
    const started = tmux('new-session', '-d', '-s', SESSION, '-x', '140', '-y', '50', '-c', sb.project, `env -i ${env} ${shellQuote(oc.bin)}; echo OC-EXIT=$?; sleep 300`)
    expect(started.status, started.stderr).toBe(0)
  }, 60_000)

  afterAll(async () => {
    tmux('kill-server')
    await oc?.stop()
    sb?.cleanup()
  })

  it('/workflow → permission dialog → allow → agents done → the result reaches the conversation', async () => {
    await waitScreen('the TUI prompt', /Ask anything/)
    expect(tmux('send-keys', '-t', SESSION, '-l', '/workflow tiny tui please').status).toBe(0)
    await waitScreen('the typed command', /\/workflow tiny tui please/)
    // The first Enter may only pick the command from the autocomplete list; a second one sends it.
    tmux('send-keys', '-t', SESSION, 'Enter')
    try {
      await waitScreen('the permission dialog', /Permission required/, 8000)
    } catch {
      tmux('send-keys', '-t', SESSION, 'Enter')
    }
    const dialog = await waitScreen('the permission dialog', /Permission required/)
    expect(dialog).toContain('Call tool workflow')
    // Nothing runs before the user answers.
    expect(existsSync(runsDir()) ? readdirSync(runsDir()) : []).toEqual([])
    // The approval summary is on screen next to the dialog (OpenCode's dialog itself names only the tool).
    await waitScreen('the approval summary toast', /Approve workflow tiny\?/)
    const summary = screen()
    expect(summary).toMatch(/phases Ask/)
    expect(summary).toMatch(/two agents/) // the description
    expect(summary).toMatch(/about an open-/) // the estimate: agents in callbacks are open-ended

    tmux('send-keys', '-t', SESSION, 'Enter') // "Allow once" is selected first
    const runId = await waitFor('the run directory', () => (existsSync(runsDir()) ? readdirSync(runsDir())[0] : undefined), 60_000)
    const view = await waitFor('the run to complete', () => {
      const v = parseJsonOut(sb.run(['show', runId, '--json']).stdout)
      return v.status === 'completed' && v
    }, 120_000)
    expect(view.agents.map((a: any) => [a.label, a.status])).toEqual([
      ['q1', 'done'],
      ['q2', 'done'],
    ])
    // The run's end is a real prompt: it is in the conversation and the model answered it.
    const end = await waitScreen('the woken model in the conversation', /RESULT SEEN BY THE MODEL/, 120_000)
    expect(end).toContain('[ocdw workflow tiny finished]')
    expect(end).toContain(`ocdw run ${runId}: completed`)
    expect(end).toContain('"marker": "tiny-done"')
  })
})
