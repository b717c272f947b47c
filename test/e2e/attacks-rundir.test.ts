// Planted and edited run directories (issue 12.3/12.4a/12.4e) against the real `opencode serve` with the offline
// model: `ocdw resume` runs script.js unasked only when it and the sub-workflows it names still have the hashes the
// user approved; anything else is a new approval (no terminal, no --yes: exit 3). Run-dir files planted as symlinks
// pointing outside are never written through, and workflow() never runs a file outside the project.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

const TOP = "export const meta = { name: 'top' }\nconst a = await agent('top step')\nconst b = await workflow('./sub.js')\nreturn [a, b]\n"
const SUB = "export const meta = { name: 'sub' }\nreturn await agent('sub step')\n"

let sb: Sandbox
let runId: string
const runsDir = () => join(sb.project, '.opencode', 'workflows', 'runs')
const runJson = (id: string) => JSON.parse(readFileSync(join(runsDir(), id, 'run.json'), 'utf8'))

beforeAll(() => {
  sb = makeSandbox('ocdw-rundir-')
  writeFileSync(join(sb.project, 'top.js'), TOP)
  writeFileSync(join(sb.project, 'sub.js'), SUB)
  const r = sb.run(['run', '--script', 'top.js', '--offline', '--yes', '--json'])
  expect(r.code, r.stderr).toBe(0)
  runId = parseJsonOut(r.stdout).runId
}, 180_000)
afterAll(() => sb?.cleanup())

describe('resume of an edited or planted run dir', () => {
  it('records the hash of the script and of every sub-workflow it names in run.json', () => {
    const approved = runJson(runId).approved
    expect(approved.script).toMatch(/^[0-9a-f]{64}$/)
    expect(Object.keys(approved.workflows)).toEqual(['./sub.js'])
    expect(approved.workflows['./sub.js']).toMatch(/^[0-9a-f]{64}$/)
  })

  it('resumes an unchanged run without asking', () => {
    const r = sb.run(['resume', runId, '--offline', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(parseJsonOut(r.stdout).status).toBe('completed')
  }, 180_000)

  it('asks again when script.js was edited: no terminal and no --yes exits 3 with a sentence, nothing runs', () => {
    const scriptPath = join(runsDir(), runId, 'script.js')
    writeFileSync(scriptPath, TOP.replace("'top step'", "'edited step'"))
    const journalBefore = readFileSync(join(runsDir(), runId, 'journal.jsonl'), 'utf8')
    const r = sb.run(['resume', runId, '--offline'])
    expect(r.code, r.stderr).toBe(3)
    expect(r.stderr).toMatch(/changed since it was approved.*needs approval.*--yes/)
    expect(readFileSync(join(runsDir(), runId, 'journal.jsonl'), 'utf8')).toBe(journalBefore)
    // Approving it records the new hash, so the next resume does not ask.
    const ok = sb.run(['resume', runId, '--offline', '--yes', '--json'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(parseJsonOut(ok.stdout).result[0]).toMatch(/edited step/)
    expect(sb.run(['resume', runId, '--offline']).code).toBe(0)
  }, 240_000)

  it('asks again when a sub-workflow it calls was edited', () => {
    writeFileSync(join(sb.project, 'sub.js'), SUB.replace("'sub step'", "'sub edited'"))
    try {
      const r = sb.run(['resume', runId, '--offline'])
      expect(r.code, r.stderr).toBe(3)
      expect(r.stderr).toMatch(/a workflow it calls changed/)
    } finally {
      writeFileSync(join(sb.project, 'sub.js'), SUB)
    }
  }, 180_000)

  it('asks for a planted run dir that has no recorded approval', () => {
    const planted = 'wf_20260101_plant1'
    cpSync(join(runsDir(), runId), join(runsDir(), planted), { recursive: true })
    const rf = runJson(planted)
    delete rf.approved
    rf.id = planted
    writeFileSync(join(runsDir(), planted, 'run.json'), JSON.stringify(rf))
    writeFileSync(join(runsDir(), planted, 'script.js'), "export const meta = { name: 'evil' }\nreturn await gate('touch pwned')\n")
    const r = sb.run(['resume', planted, '--offline'])
    expect(r.code, r.stderr).toBe(3)
    expect(r.stderr).toMatch(/no record of an approved script.*needs approval/)
    expect(existsSync(join(sb.project, 'pwned'))).toBe(false)
  }, 180_000)

  it('never writes a run file through a planted symlink that points outside', () => {
    const planted = 'wf_20260101_plant2'
    const dir = join(runsDir(), planted)
    cpSync(join(runsDir(), runId), dir, { recursive: true })
    const rf = runJson(planted)
    rf.id = planted
    rf.status = 'stopped' // something left to run (a completed run would only print its recorded result)
    writeFileSync(join(dir, 'run.json'), JSON.stringify(rf))
    const outside = join(sb.root, 'victim.txt')
    writeFileSync(outside, 'precious\n')
    for (const f of ['journal.jsonl', 'view.json', 'snapshot.json']) {
      rmSync(join(dir, f), { force: true })
      symlinkSync(outside, join(dir, f))
    }
    const r = sb.run(['resume', planted, '--offline', '--yes'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/Refusing to write .*symbolic link; remove the link/)
    expect(readFileSync(outside, 'utf8')).toBe('precious\n')

    // agents/ as a symlink to a directory outside: refused before anything is written there.
    const planted3 = 'wf_20260101_plant3'
    const dir3 = join(runsDir(), planted3)
    cpSync(join(runsDir(), runId), dir3, { recursive: true })
    const rf3 = runJson(planted3)
    rf3.id = planted3
    rf3.status = 'stopped'
    writeFileSync(join(dir3, 'run.json'), JSON.stringify(rf3))
    const outDir = join(sb.root, 'victim-dir')
    mkdirSync(outDir)
    rmSync(join(dir3, 'agents'), { recursive: true, force: true })
    symlinkSync(outDir, join(dir3, 'agents'))
    const r3 = sb.run(['resume', planted3, '--offline', '--yes'])
    expect(r3.code).not.toBe(0)
    expect(r3.stderr).toMatch(/symbolic link/)
    expect(readdirSync(outDir)).toEqual([])
  }, 240_000)
})

describe('workflow() paths', () => {
  it('refuses ../x.js, an absolute path, and a symlink that leads outside the project', () => {
    const outsideJs = join(sb.root, 'outside.js')
    writeFileSync(outsideJs, "export const meta = { name: 'outside' }\nreturn await gate('touch pwned-outside')\n")
    symlinkSync(outsideJs, join(sb.project, 'link.js'))
    for (const ref of ['../outside.js', outsideJs, './link.js']) {
      writeFileSync(join(sb.project, 'caller.js'), `export const meta = { name: 'caller' }\nreturn await workflow(${JSON.stringify(ref)})\n`)
      const r = sb.run(['run', '--script', 'caller.js', '--offline', '--yes', '--json'])
      expect(r.code, ref).toBe(1)
      expect(parseJsonOut(r.stdout).error, ref).toMatch(/outside the project, which a workflow may not run/)
    }
    expect(existsSync(join(sb.project, 'pwned-outside'))).toBe(false)
  }, 240_000)
})
