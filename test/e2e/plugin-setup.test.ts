// `ocdw setup` as a team uses it, with the built CLI: opencode.jsonc edited with its comments intact, a plugin
// reference teammates can use (the package name when installed, the clone path with a warning otherwise), and
// --remove taking out exactly what setup added even after the user edited the file. And as an attacker would use
// it: a repository that ships its own `.opencode/ocdw-setup.json` cannot make --remove delete or rewrite anything
// outside what ocdw computes itself.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'jsonc-parser'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pluginReference } from '../../src/plugin/setup.js'
import { makeSandbox, type Sandbox } from '../support/cli.js'
import { PLUGIN_URL } from '../support/opencode-home.js'

const TEAM_CONFIG = `// The team's OpenCode config: comments must survive ocdw setup.
{
  // the model everyone uses
  "model": "anthropic/claude-sonnet-4-5", /* keep this */
  "plugin": ["some-other-plugin"],
  "permission": { "bash": "ask" },
}
`

describe('ocdw setup for a team (opencode.jsonc, references, --remove)', () => {
  let sb: Sandbox
  const jsonc = () => join(sb.project, 'opencode.jsonc')
  beforeEach(() => {
    sb = makeSandbox('ocdw-setup-')
  })
  afterEach(() => sb.cleanup())

  it('edits opencode.jsonc with its comments intact; --remove after the user edited it takes out only what setup added', () => {
    writeFileSync(jsonc(), TEAM_CONFIG)
    const r = sb.run(['setup'])
    expect(r.code, r.stderr).toBe(0)
    const text = readFileSync(jsonc(), 'utf8')
    for (const comment of ["// The team's OpenCode config", '// the model everyone uses', '/* keep this */']) expect(text).toContain(comment)
    expect(parse(text)).toEqual({
      model: 'anthropic/claude-sonnet-4-5',
      plugin: ['some-other-plugin', PLUGIN_URL],
      permission: { bash: 'ask', workflow: 'ask' },
    })
    // This is a clone, not an installed package: the absolute path is written, with a warning saying so.
    expect(r.stderr).toMatch(/warning: .*absolute path.*npm install -D ocdw/)
    expect(existsSync(join(sb.project, 'opencode.json'))).toBe(false)

    // The user edits the file after setup: a new setting, a comment, another permission.
    writeFileSync(jsonc(), readFileSync(jsonc(), 'utf8').replace('"permission": {', '"share": "disabled", // added by hand\n  "permission": {\n    "edit": "ask",'))
    const removed = sb.run(['setup', '--remove'])
    expect(removed.code, removed.stderr).toBe(0)
    const after = readFileSync(jsonc(), 'utf8')
    for (const comment of ["// The team's OpenCode config", '// the model everyone uses', '/* keep this */', '// added by hand']) expect(after).toContain(comment)
    expect(parse(after)).toEqual({
      model: 'anthropic/claude-sonnet-4-5',
      plugin: ['some-other-plugin'],
      share: 'disabled',
      permission: { edit: 'ask', bash: 'ask' },
    })
    expect(existsSync(join(sb.project, '.opencode'))).toBe(false)
  })

  it('keeps a command file the user edited after setup, and the permission entry the user had before setup', () => {
    writeFileSync(jsonc(), '{ "permission": { "workflow": "ask" } }\n')
    expect(sb.run(['setup']).code).toBe(0)
    const mine = join(sb.project, '.opencode/command/workflow.md')
    writeFileSync(mine, readFileSync(mine, 'utf8') + '\nAlso: keep it short.\n')
    const r = sb.run(['setup', '--remove'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('edited since setup')
    expect(readFileSync(mine, 'utf8')).toContain('keep it short')
    expect(existsSync(join(sb.project, '.opencode/command/workflows.md'))).toBe(false)
    // The user's own "workflow": "ask" predates setup: it stays.
    expect(parse(readFileSync(jsonc(), 'utf8'))).toEqual({ permission: { workflow: 'ask' } })
  })

  it('a config setup created is deleted again by --remove', () => {
    expect(sb.run(['setup']).code).toBe(0)
    expect(parse(readFileSync(join(sb.project, 'opencode.json'), 'utf8')).plugin).toEqual([PLUGIN_URL])
    expect(sb.run(['setup', '--remove']).code).toBe(0)
    expect(existsSync(join(sb.project, 'opencode.json'))).toBe(false)
    expect(existsSync(join(sb.project, '.opencode'))).toBe(false)
  })

  it('names the package when ocdw is an installed package, and the clone path (with a warning) when it is not', () => {
    const root = mkdtempSync(join(tmpdir(), 'ocdw-ref-'))
    try {
      const installed = join(root, 'app', 'node_modules', 'ocdw')
      mkdirSync(installed, { recursive: true })
      writeFileSync(join(installed, 'package.json'), JSON.stringify({ name: 'ocdw', version: '9.9.9' }))
      expect(pluginReference(installed, 'file:///unused')).toEqual({ value: 'ocdw' })
      const clone = join(root, 'src', 'ocdw')
      mkdirSync(clone, { recursive: true })
      writeFileSync(join(clone, 'package.json'), JSON.stringify({ name: 'ocdw' }))
      const ref = pluginReference(clone, 'file:///src/ocdw/dist/plugin/index.js')
      expect(ref.value).toBe('file:///src/ocdw/dist/plugin/index.js')
      expect(ref.warning).toMatch(/this machine only/)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('ocdw setup --remove in a repository that ships its own .opencode/ocdw-setup.json (attack)', () => {
  let sb: Sandbox
  let victim: string
  beforeEach(() => {
    sb = makeSandbox('ocdw-setup-attack-')
    victim = mkdtempSync(join(tmpdir(), 'victim-'))
  })
  afterEach(() => {
    sb.cleanup()
    rmSync(victim, { recursive: true, force: true })
  })

  it('touches nothing outside what ocdw computes: listed files are not deleted, named files are not rewritten', () => {
    const files = ['notes.txt', 'a.md', 'config.json'].map((f) => join(victim, f))
    for (const f of files) writeFileSync(f, `precious ${f}\n`)
    mkdirSync(join(victim, 'emptydir'))
    const digest = (t: string) => createHash('sha256').update(t).digest('hex')
    const projectConfig = '{ "username": "repo" }\n'
    writeFileSync(join(sb.project, 'opencode.json'), projectConfig)
    mkdirSync(join(sb.project, '.opencode'), { recursive: true })
    // Both the old record format (paths and contents) and the new hint format (names and hashes), all hostile.
    writeFileSync(
      join(sb.project, '.opencode/ocdw-setup.json'),
      JSON.stringify({
        configPath: files[2],
        original: 'pwned by the repository',
        written: `precious ${files[2]}\n`,
        commandFiles: [files[0], files[1]],
        createdDirs: [join(victim, 'emptydir'), victim],
        createdConfig: true,
        addedPermission: true,
        commands: { [`../../../../../..${files[1].replace(/\.md$/, '')}`]: digest(`precious ${files[1]}\n`), 'x/../../y': 'z' },
      }),
    )
    const r = sb.run(['setup', '--remove'])
    expect(r.code, r.stderr).toBe(0)
    for (const f of files) expect(readFileSync(f, 'utf8')).toBe(`precious ${f}\n`)
    expect(existsSync(join(victim, 'emptydir'))).toBe(true)
    // The project's own config had no ocdw entries: it is left byte for byte.
    expect(readFileSync(join(sb.project, 'opencode.json'), 'utf8')).toBe(projectConfig)
  })
})
