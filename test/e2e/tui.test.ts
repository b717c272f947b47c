// `ocdw ui` end to end: a real run on `opencode serve` + the offline model (slow agents) in the background, the TUI
// in a detached tmux pane on a private tmux server, driven by `send-keys` and read with `capture-pane`. Checks that
// the keys reach the runtime (`ocdw show --json` sees stopped / restarted / paused) and that save writes a workflow.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

const AGENTS = 8
// item 0 makes three tool rounds (4 model calls at 3 s), so it is reliably running while the test drills into it;
// the others answer in one 3 s call, two at a time, except the last, which never answers while the test runs: the
// run stays live (pausable, never completed) however slowly a loaded machine gets through the steps.
const SCRIPT = `export const meta = { name: 'slow', phases: [{ title: 'Work' }] }
const out = await parallel(Array.from({ length: ${AGENTS} }, (_, i) => () => agent('slow item ' + i, { label: 'item ' + i })))
return out.filter(Boolean).length
`
const RULES = {
  latencyMs: 3000,
  rules: [
    {
      match: '^slow item 0$',
      reply: { tools: [{ name: 'glob', args: { pattern: '*.js' } }] },
      then: [{ tools: [{ name: 'glob', args: { pattern: '*.json' } }] }, { tools: [{ name: 'glob', args: { pattern: '*.md' } }] }, { text: 'item 0 done' }],
    },
    { match: `^slow item ${AGENTS - 1}$`, latencyMs: 600_000, reply: { text: 'too late' } },
  ],
}

const SESSION = 'ui'
/** The tmux server runs on its own socket in the sandbox (removed with it), with this process's env, so it is ours alone. */
let socket = ''
const tmuxEnv = { ...process.env }
delete tmuxEnv.TMUX
const tmux = (...args: string[]) => spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env: tmuxEnv })
const screen = () => tmux('capture-pane', '-p', '-t', SESSION).stdout ?? ''
const keys = (...k: string[]) => expect(tmux('send-keys', '-t', SESSION, ...k).status).toBe(0)
const type = (text: string) => expect(tmux('send-keys', '-t', SESSION, '-l', text).status).toBe(0)
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 25_000, detail = () => ''): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = probe()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail()}`)
    await new Promise((r) => setTimeout(r, 150))
  }
}

/** Polls the pane until `pattern` shows; fails with the last screen. */
const waitScreen = (what: string, pattern: RegExp, timeoutMs?: number) =>
  waitFor(what, () => pattern.test(screen()) && screen(), timeoutMs, () => `last screen:\n${screen()}`)

describe('ocdw ui under tmux on a live run (real OpenCode server, offline model)', () => {
  let sb: Sandbox
  let child: ReturnType<Sandbox['spawn']> | undefined
  let runId = ''
  const show = () => parseJsonOut(sb.run(['show', runId, '--json']).stdout)
  const agent0 = () => show().agents.find((a: any) => a.label === 'item 0')

  beforeAll(async () => {
    sb = makeSandbox('ocdw-tui-')
    socket = join(sb.root, 'tmux.sock')
    writeFileSync(join(sb.project, 'slow.js'), SCRIPT)
    const rules = join(sb.root, 'rules.json')
    writeFileSync(rules, JSON.stringify(RULES))
    child = sb.spawn(['run', '--script', 'slow.js', '--offline', '--yes', '--json', '--concurrency', '2'], { env: { OCDW_OFFLINE_RULES: rules } })
    const runs = join(sb.project, '.opencode/workflows/runs')
    runId = await waitFor('the live run', () => {
      const id = existsSync(runs) ? readdirSync(runs)[0] : undefined
      return id && existsSync(join(runs, id, 'control.json')) && id
    }, 60_000, () => JSON.stringify(child?.output()))

    const env = ['HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'OCDW_TEST_SANDBOX', 'NO_COLOR']
      .map((k) => `${k}=${sh(sb.env[k]!)}`)
      .join(' ')
    // The exit code is echoed and the pane kept, so `q` can be checked and a crash leaves its output to read.
    const cmd = `env -u OPENCODE_SERVER_URL -u OPENCODE_CONFIG_DIR ${env} ${sh(process.execPath)} ${sh(BIN)} ui; echo UI-EXIT=$?; sleep 120`
    const started = tmux('new-session', '-d', '-s', SESSION, '-x', '120', '-y', '40', '-c', sb.project, cmd)
    expect(started.status, started.stderr).toBe(0)
  })

  afterAll(() => {
    if (socket) tmux('kill-server')
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
    sb?.cleanup()
  })

  it('lists the live run with live counts, then drills into the run, a phase and an agent to its prompt', async () => {
    // run.json says 0/0 while a run is live: the list must show the live view's counts.
    await waitScreen('the live run in the runs list', new RegExp(`slow\\s+${runId}\\s+running\\s+\\d+/${AGENTS}\\b`))
    keys('Enter')
    await waitScreen('the run screen', /PHASE[\s\S]*\nWork\s+\d+\s+\d+/)
    keys('Enter')
    await waitScreen('the phase screen with item 0 running', /AGENT[\s\S]*\nitem 0\s+running/)
    keys('Enter')
    const detail = await waitScreen('the agent detail with its tool calls', /Tool calls \(\d+ most recent/)
    expect(detail).toMatch(/item 0\s+\[running\]/)
    expect(detail).toMatch(/Prompt:\s*\n\s+slow item 0\b/)
    expect(detail).toMatch(/glob/)
  })

  it('P-KEYS-3 P-KEYS-4 x stops the running agent; r on it then is refused with a sentence (13.10), through the run process', async () => {
    keys('x')
    await waitScreen('the agent shown stopped', /item 0\s+\[stopped\]/)
    expect(agent0().status).toBe('stopped')
    keys('r')
    await waitScreen('the refusal', /already ended stopped/)
    expect(agent0()).toMatchObject({ status: 'stopped', attempt: 1 })
  })

  it('P-KEYS-2 p pauses the run and p again resumes it', async () => {
    keys('Escape')
    await waitScreen('the phase screen', /AGENT\s+STATUS/)
    keys('Escape')
    await waitScreen('the run screen', /PHASE\s+RUN\s+QUE/)
    keys('p')
    await waitScreen('the run shown paused', new RegExp(`\\(${runId}\\)\\s+paused\\b`))
    expect(show().status).toBe('paused')
    keys('p')
    await waitScreen('the run shown running again', new RegExp(`\\(${runId}\\)\\s+running\\b`))
    expect(show().status).toBe('running')
  })

  it('P-KEYS-1 P-SAVED-4 s saves the run as a workflow under the typed name', async () => {
    keys('s')
    await waitScreen('the save prompt', /Save as workflow: slow_/)
    keys(...Array(8).fill('BSpace'))
    type('tui-saved')
    await waitScreen('the typed name', /Save as workflow: tui-saved_\s+\[project\]/)
    keys('Enter')
    await waitScreen('the saved message', /Saved tui-saved to /)
    const workflows = parseJsonOut(sb.run(['workflows', '--json']).stdout)
    expect(workflows.find((w: any) => w.name === 'tui-saved')).toMatchObject({ scope: 'project' })
  })

  it('q quits and restores the terminal', async () => {
    keys('q')
    const after = await waitScreen('the TUI to exit', /UI-EXIT=\d+/)
    expect(after).toMatch(/UI-EXIT=0\b/)
  })
})
