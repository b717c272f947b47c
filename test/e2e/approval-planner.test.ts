// Approval in a real terminal (tmux) and the planner, through the built CLI on the real OpenCode server with the
// offline model: each approval choice, "don't ask again" skipping the next prompt, a changed script asking again,
// editing in $EDITOR; the planner's invalid first answer sent back and fixed.
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'
import { exitCodeIn, ocdwInTmux as startOcdwInTmux, type TmuxSession } from '../support/tmux.js'

const ONE = (word: string) => `export const meta = { name: 'one', description: 'a single agent', phases: [{ title: 'Only' }] }
return await agent('say ${word}', { label: 'sayer' })
`

describe('approval in a terminal, and the planner', () => {
  let sb: Sandbox
  const sessions: TmuxSession[] = []
  beforeAll(() => {
    sb = makeSandbox('ocdw-approval-')
  })
  afterAll(() => {
    for (const s of sessions) s.kill()
    sb.cleanup()
  })

  function ocdwInTmux(args: string, env: NodeJS.ProcessEnv = {}): { tmux: TmuxSession; exitFile: string } {
    const started = startOcdwInTmux(sb, args, env)
    sessions.push(started.tmux)
    return started
  }
  const exitCode = exitCodeIn

  const runs = () => (existsSync(join(sb.project, '.opencode/workflows/runs')) ? readdirSync(join(sb.project, '.opencode/workflows/runs')) : [])

  it('P-APPROVAL-1 P-APPROVAL-2 shows the workflow, the raw script on 3, and "don\'t ask again" (2) skips the next prompt', async () => {
    writeFileSync(join(sb.project, 'one.js'), ONE('hello'))
    const { tmux, exitFile } = ocdwInTmux('run --script one.js --offline')
    await tmux.waitFor('Choose 1-5')
    const screen = tmux.capture()
    expect(screen).toContain('Workflow: one')
    expect(screen).toContain('a single agent')
    expect(screen).toContain("2. Yes, and don't ask again for one in")
    tmux.type('3')
    tmux.keys('Enter')
    await tmux.waitFor('----- script -----')
    expect(tmux.capture()).toContain("say hello")
    tmux.type('2')
    tmux.keys('Enter')
    expect(await exitCode(exitFile)).toBe(0)
    expect(runs()).toHaveLength(1)

    // Same script again: consent was recorded, so no prompt and no TTY needed.
    const again = sb.run(['run', '--script', 'one.js', '--offline', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).not.toContain('Choose 1-5')
    expect(parseJsonOut(again.stdout).status).toBe('completed')
  })

  it('P-APPROVAL-3 a changed script asks again; No (5) runs nothing and exits 3', async () => {
    writeFileSync(join(sb.project, 'one.js'), ONE('changed'))
    const before = runs().length
    const { tmux, exitFile } = ocdwInTmux('run --script one.js --offline')
    await tmux.waitFor('Choose 1-5')
    tmux.type('5')
    tmux.keys('Enter')
    expect(await exitCode(exitFile)).toBe(3)
    expect(tmux.capture()).toMatch(/was not approved; nothing ran/)
    expect(runs().length).toBe(before)
  })

  it('Edit script (4) opens $EDITOR, re-validates, and the edited script is what runs', async () => {
    writeFileSync(join(sb.project, 'two.js'), ONE('original').replace("'one'", "'two'"))
    const editor = join(sb.root, 'editor.sh')
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/say original/say edited/' "$1"\n`)
    chmodSync(editor, 0o755)
    const before = runs()
    const { tmux, exitFile } = ocdwInTmux('run --script two.js --offline', { EDITOR: editor })
    await tmux.waitFor('Choose 1-5')
    tmux.type('4')
    tmux.keys('Enter')
    await tmux.waitFor(/Choose 1-5[\s\S]*Choose 1-5/)
    tmux.type('1')
    tmux.keys('Enter')
    expect(await exitCode(exitFile)).toBe(0)
    const id = runs().find((r) => !before.includes(r))!
    expect(readFileSync(join(sb.project, '.opencode/workflows/runs', id, 'script.js'), 'utf8')).toContain('say edited')
  })

  it('the planner writes the script for a task; an invalid first answer is sent back with its problem', () => {
    const rules = join(sb.root, 'planner-rules.json')
    const bad = "```js\nexport const meta = { name: 'widgets' }\nconst n = await agent('count the widgets'\n```"
    const good =
      "```js\nexport const meta = { name: 'widgets', description: 'count widgets', phases: [{ title: 'Count' }] }\nphase('Count')\nconst n = await agent('count the widgets now', { label: 'counter' })\nreturn { counted: n !== null }\n```"
    writeFileSync(
      rules,
      JSON.stringify({
        rules: [
          { match: 'That script is not valid', reply: { text: good } },
          { match: 'Task: count the widgets', reply: { text: bad } },
        ],
      }),
    )
    const log = join(sb.root, 'planner.log')
    const r = sb.run(['run', 'count', 'the', 'widgets', '--offline', '--yes', '--json'], { env: { OCDW_OFFLINE_RULES: rules, OCDW_OFFLINE_LOG: log } })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/attempt 2\/3/)
    const summary = parseJsonOut(r.stdout)
    expect(summary.status).toBe('completed')
    expect(summary.result).toEqual({ counted: true })
    const asked = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    const retry = asked.find((e) => String(e.lastUser).startsWith('That script is not valid'))
    expect(retry.lastUser).toMatch(/line \d+/)
  })

  it('refuses a server that does not answer, naming the URL', () => {
    writeFileSync(join(sb.project, 'three.js'), ONE('x').replace("'one'", "'three'"))
    const r = sb.run(['run', '--script', 'three.js', '--server', 'http://127.0.0.1:9', '--yes'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/http:\/\/127\.0\.0\.1:9 did not answer/)
  })

  it('refuses --args that look like JSON but do not parse, before anything runs', () => {
    const before = runs().length
    const r = sb.run(['run', '--script', 'one.js', '--args', '{"question": ', '--yes'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--args looks like JSON but does not parse/)
    expect(runs().length).toBe(before)
  })
})
