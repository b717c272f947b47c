// isolation: 'worktree' on the real OpenCode server: the agent's edits land in its own git worktree, not in the
// project, and are kept on a branch ocdw/<key>; a project that is not a git repository gets a sentence.
import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

const SCRIPT = `export const meta = { name: 'isolated' }
const out = await agent('write the isolated note', { label: 'writer', isolation: 'worktree' })
return out`

describe("isolation: 'worktree'", () => {
  let sb: Sandbox
  beforeAll(() => {
    sb = makeSandbox('ocdw-wt-')
  })
  afterAll(() => sb.cleanup())

  it('keeps the agent edits off the project, on a branch', () => {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: sb.project, encoding: 'utf8', env: { ...sb.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } })
    git('init', '-q')
    writeFileSync(join(sb.project, 'README'), 'hello\n')
    writeFileSync(join(sb.project, '.gitignore'), '.opencode/\n*.js\n')
    git('add', '-A')
    git('commit', '-qm', 'init')
    writeFileSync(join(sb.project, 'iso.js'), SCRIPT)
    const rules = join(sb.root, 'wt-rules.json')
    writeFileSync(rules, JSON.stringify({ rules: [{ match: '^write the isolated note$', reply: { tools: [{ name: 'write', args: { filePath: 'notes/wt.txt', content: 'from the worktree\n' } }] }, then: [{ text: 'written' }] }] }))
    const r = sb.run(['run', '--script', 'iso.js', '--offline', '--yes', '--json'], { env: { OCDW_OFFLINE_RULES: rules } })
    expect(r.code, r.stderr).toBe(0)
    const s = parseJsonOut(r.stdout)
    expect(s.result).toBe('written')
    expect(existsSync(join(sb.project, 'notes/wt.txt'))).toBe(false)
    const branches = git('branch', '--list', 'ocdw/*').trim()
    expect(branches).toMatch(/ocdw\/[0-9a-f]{16}-0/)
    expect(git('show', `${branches.replace('*', '').trim()}:notes/wt.txt`)).toBe('from the worktree\n')
    expect(git('worktree', 'list').trim().split('\n')).toHaveLength(1)
  })

  it('explains what to do outside a git repository', () => {
    const other = makeSandbox('ocdw-wt-nogit-')
    try {
      writeFileSync(join(other.project, 'iso.js'), SCRIPT)
      const r = other.run(['run', '--script', 'iso.js', '--offline', '--yes', '--json'])
      expect(r.code, r.stderr).toBe(0)
      const s = parseJsonOut(r.stdout)
      expect(s.result).toBeNull()
      expect(s.agents.failed).toBe(1)
      const view = parseJsonOut(other.run(['show', s.runId, '--json']).stdout)
      expect(view.agents[0].error).toMatch(/needs a git repository with at least one commit.*git init/)
    } finally {
      other.cleanup()
    }
  })
})
