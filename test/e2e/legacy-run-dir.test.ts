// Runs written before the agent store (issue 17.1): their agent records are one agents/<key>.json file per agent, not
// agents.jsonl. Such a run still shows the same in `ocdw show` (text and JSON) and resumes on the real
// `opencode serve` with the offline model: journaled agents answer from the journal, the one left runs again and its
// record goes to agents.jsonl, and the old files stay readable beside it.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readAgentStore } from '../../src/store/agent-store.js'
import { makeSandbox, parseJsonOut, type Sandbox } from '../support/cli.js'

const SCRIPT = `export const meta = { name: 'legacy-three', phases: [{ title: 'Work' }] }
phase('Work')
const out = await parallel([1, 2, 3].map((i) => () => agent('legacy step ' + i, { label: 'step ' + i })))
return out.map((o) => typeof o === 'string' && o.length > 0)
`

let sb: Sandbox
let runId: string
let dir: string
const show = (args: string[] = []) => sb.run(['show', runId, ...args])

beforeAll(() => {
  sb = makeSandbox('ocdw-legacy-')
  writeFileSync(join(sb.project, 'three.js'), SCRIPT)
  const r = sb.run(['run', '--script', 'three.js', '--offline', '--yes', '--json'])
  expect(r.code, r.stderr).toBe(0)
  runId = parseJsonOut(r.stdout).runId
  dir = join(sb.project, '.opencode', 'workflows', 'runs', runId)
}, 180_000)
afterAll(() => sb?.cleanup())

/** Rewrites the run dir as the previous version left it: agents/<key>.json per agent, no agents.jsonl. */
function toLegacyLayout(): string[] {
  const lines = readFileSync(join(dir, 'agents.jsonl'), 'utf8').split('\n').filter(Boolean)
  mkdirSync(join(dir, 'agents'))
  const keys = lines.map((l) => {
    const rec = JSON.parse(l)
    writeFileSync(join(dir, 'agents', `${rec.key}.json`), JSON.stringify(rec, null, 1))
    return rec.key as string
  })
  rmSync(join(dir, 'agents.jsonl'))
  return keys
}

describe('a run dir in the layout of the previous version', () => {
  it('writes one agents.jsonl record per agent and no agents/ folder', () => {
    expect(readFileSync(join(dir, 'agents.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(3)
    expect(existsSync(join(dir, 'agents'))).toBe(false)
  })

  it('shows the same and resumes: journaled agents answer from the journal, the rest run, old records stay readable', () => {
    const textBefore = show().stdout
    const jsonBefore = parseJsonOut(show(['--json']).stdout)
    const keys = toLegacyLayout()
    expect(show().stdout).toBe(textBefore)
    expect(parseJsonOut(show(['--json']).stdout)).toEqual(jsonBefore)

    // Interrupt it after the fact: the journal loses the last agent's answer, run.json says the run was stopped.
    const last = keys[2]!
    const journalPath = join(dir, 'journal.jsonl')
    const kept = readFileSync(journalPath, 'utf8').split('\n').filter((l) => l && !(l.includes('"agent.done"') && l.includes(`"${last}"`)))
    writeFileSync(journalPath, kept.join('\n') + '\n')
    const runJson = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ ...runJson, status: 'stopped' }))

    const r = sb.run(['resume', runId, '--offline', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const out = parseJsonOut(r.stdout)
    expect(out.status).toBe('completed')
    expect(out.result).toEqual([true, true, true])
    expect(out.agents).toMatchObject({ total: 3, done: 3, cached: 2 })
    // The agent that ran again has its record in agents.jsonl; the others still answer from their old files.
    const store = readAgentStore(dir)
    expect(store.keys()).toEqual([last])
    for (const k of keys) expect(store.get(k)?.prompt).toMatch(/^legacy step [123]$/)
    store.close()
    expect(readdirSync(join(dir, 'agents')).sort()).toEqual(keys.map((k) => `${k}.json`).sort())
    expect(show().stdout).toMatch(/legacy-three\s+completed/)
  }, 240_000)
})
