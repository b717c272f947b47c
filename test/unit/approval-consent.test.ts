// Consent covers everything the run can execute (issue 12.4a): "don't ask again" is keyed on the script together with
// the sub-workflows it names, so an edited sub-workflow asks again; the set is found from workflow('...') literals.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approve } from '../../src/cli/approval.js'
import { recordConsent } from '../../src/store/consent.js'
import { combinedHash, literalWorkflowNames, sha256 } from '../../src/actors/approved-set.js'
import { parseScript } from '../../src/script/meta.js'

const SOURCE = "export const meta = { name: 'top' }\nconst a = await workflow('child')\nconst b = await workflow(`./local.js`, { x: 1 })\nconst n = 'dyn'\nawait workflow(n)\nreturn [a, b]\n"
let dir: string
const old = process.env.OPENCODE_CONFIG_DIR
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ocdw-consent-'))
  process.env.OPENCODE_CONFIG_DIR = dir
})
afterAll(() => {
  if (old === undefined) delete process.env.OPENCODE_CONFIG_DIR
  else process.env.OPENCODE_CONFIG_DIR = old
  rmSync(dir, { recursive: true, force: true })
})

describe('approval covers sub-workflows', () => {
  it('finds the literal workflow() names', () => {
    expect(literalWorkflowNames(SOURCE)).toEqual(['child', './local.js'])
  })

  it("counts Claude Code's { scriptPath } form by its literal path, never a computed one", () => {
    const src = "const p = 'x.js'\nawait workflow({ scriptPath: 'inner.js' }, 'a')\nawait workflow({ 'scriptPath': `two.js` })\nawait workflow({ scriptPath: p })\nawait workflow({ [p]: 'no.js' })\n"
    expect(literalWorkflowNames(src)).toEqual(['inner.js', 'two.js'])
  })

  it('recorded consent applies only while the sub-workflows are unchanged', async () => {
    const subs = { child: "export const meta = { name: 'child' }\nreturn 1", './local.js': "export const meta = { name: 'l' }\nreturn 2" }
    const workflows = Object.fromEntries(Object.entries(subs).map(([n, s]) => [n, sha256(s)]))
    recordConsent({ projectDir: dir, name: 'top', scriptHash: combinedHash({ script: sha256(SOURCE), workflows }) })
    const ask = (s: Record<string, string>) => approve({ projectDir: dir, source: SOURCE, parsed: parseScript(SOURCE), origin: 'test', mode: 'default', subWorkflows: s })
    expect((await ask(subs)).status).toBe('approved')
    const edited = await ask({ ...subs, child: subs.child.replace('return 1', 'return 666') })
    expect(edited).toMatchObject({ status: 'denied', message: expect.stringMatching(/needs approval and there is no terminal to ask in; run again with --yes/) })
  })

  it('shows each sub-workflow with its hash in the prompt', async () => {
    const input = new PassThrough()
    const output = new PassThrough()
    let shown = ''
    output.on('data', (d) => (shown += d))
    input.end('5\n')
    const subs = { child: "export const meta = { name: 'child' }\nreturn 1" }
    const r = await approve({ projectDir: dir, source: SOURCE, parsed: parseScript(SOURCE), origin: 'test', mode: 'default', subWorkflows: subs, input, output })
    expect(r.status).toBe('denied')
    expect(shown).toContain(`Also runs workflow child (sha256 ${sha256(subs.child).slice(0, 12)})`)
  })
})
