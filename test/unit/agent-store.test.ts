// The agent store (agents.jsonl): appended records, the index a reader builds, a torn last line, reopening, the
// agents/<key>.json files of runs written by earlier versions, and refusing a symlink.
import { appendFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openAgentStore, readAgentRecord, readAgentStore, type AgentRecord } from '../../src/store/agent-store.js'
import { runPaths } from '../../src/store/run-dir.js'
import { agentResults } from '../../src/plugin/outcome.js'
import { applyEvent, emptyRunView } from '../../src/machines/run-view.js'
import { tempDirs } from '../support/temp-dirs.js'

const runDir = tempDirs('ocdw-agent-store-')

const record = (key: string, result: unknown, over: Partial<AgentRecord> = {}): AgentRecord => ({
  key,
  prompt: `prompt of ${key}`,
  options: {},
  phase: 'P',
  label: key,
  status: 'done',
  tools: [],
  result,
  attempt: 1,
  ...over,
})

describe('agent store', () => {
  it('appends one line per record and answers each key from the index, the last record of a key winning', () => {
    const dir = runDir()
    const w = openAgentStore(dir)
    w.append(record('a-0', 'first'))
    w.append(record('b-0', { n: 2, text: 'line\nbreak "quoted"' }))
    w.append(record('a-0', 'restarted', { attempt: 2 }))
    w.close()
    const lines = readFileSync(runPaths(dir).agentStore, 'utf8').split('\n')
    expect(lines).toHaveLength(4) // three records and the final newline
    expect(lines[3]).toBe('')
    const r = readAgentStore(dir)
    expect(r.keys()).toEqual(['a-0', 'b-0'])
    expect(r.get('a-0')).toMatchObject({ result: 'restarted', attempt: 2, prompt: 'prompt of a-0' })
    expect(r.get('b-0')?.result).toEqual({ n: 2, text: 'line\nbreak "quoted"' })
    expect(r.get('c-0')).toBeUndefined()
    r.close()
  })

  it('batches appends until the next tick, and flush() writes them at once', async () => {
    const dir = runDir()
    const w = openAgentStore(dir)
    w.append(record('a-0', 1))
    expect(readAgentRecord(dir, 'a-0')).toBeUndefined() // queued, not written yet
    w.flush()
    expect(readAgentRecord(dir, 'a-0')?.result).toBe(1)
    w.append(record('b-0', 2))
    await new Promise((r) => setImmediate(r))
    await new Promise((r) => setImmediate(r))
    expect(readAgentRecord(dir, 'b-0')?.result).toBe(2)
    w.close()
  })

  it('reads records across index chunks (a store larger than the 1 MiB read buffer)', () => {
    const dir = runDir()
    const w = openAgentStore(dir)
    const big = 'x'.repeat(3000)
    for (let i = 0; i < 1000; i++) w.append(record(`k-${i}`, `${i}:${big}`))
    w.close()
    const r = readAgentStore(dir)
    expect(r.keys()).toHaveLength(1000)
    for (const i of [0, 349, 350, 351, 698, 699, 999]) expect(r.get(`k-${i}`)?.result).toBe(`${i}:${big}`)
    r.close()
  })

  it('skips a torn last line when reading, and cuts it off when the store is opened again', () => {
    const dir = runDir()
    const w = openAgentStore(dir)
    w.append(record('a-0', 'kept'))
    w.close()
    // A crash mid-append: half a record without its newline.
    appendFileSync(runPaths(dir).agentStore, '{"key":"b-0","prompt":"half a reco')
    expect(readAgentRecord(dir, 'b-0')).toBeUndefined()
    expect(readAgentRecord(dir, 'a-0')?.result).toBe('kept')
    const again = openAgentStore(dir)
    again.append(record('b-0', 'whole'))
    again.close()
    const text = readFileSync(runPaths(dir).agentStore, 'utf8')
    expect(text).not.toContain('half a reco')
    expect(text.split('\n').filter(Boolean).map((l) => JSON.parse(l).key)).toEqual(['a-0', 'b-0'])
    expect(readAgentRecord(dir, 'b-0')?.result).toBe('whole')
  })

  it('cuts a store that holds only a torn line down to nothing', () => {
    const dir = runDir()
    writeFileSync(runPaths(dir).agentStore, '{"key":"a-0","res')
    openAgentStore(dir).close()
    expect(readFileSync(runPaths(dir).agentStore, 'utf8')).toBe('')
  })

  it('ignores a line that is not a record (a damaged file) and still answers the others', () => {
    const dir = runDir()
    writeFileSync(runPaths(dir).agentStore, 'garbage\n{"key":"a-0","result":"ok"}\n{"key":"b-0",oops}\n')
    const r = readAgentStore(dir)
    expect(r.get('a-0')?.result).toBe('ok')
    expect(r.get('b-0')).toBeUndefined()
    r.close()
  })

  it('reads agents/<key>.json of a run written by an earlier version, and never a path outside it', () => {
    const dir = runDir()
    mkdirSync(runPaths(dir).legacyAgentsDir)
    writeFileSync(runPaths(dir).legacyAgentFile('old-0'), JSON.stringify(record('old-0', 'from the old layout'), null, 1))
    expect(readAgentRecord(dir, 'old-0')?.result).toBe('from the old layout')
    expect(readAgentRecord(dir, '../../etc/passwd')).toBeUndefined()
    expect(() => runPaths(dir).legacyAgentFile('../x')).toThrow(/not an agent key/)
    // A store written later (a resume of the old run by this version) wins for the keys it holds.
    const w = openAgentStore(dir)
    w.append(record('old-0', 'rerun'))
    w.close()
    expect(readAgentRecord(dir, 'old-0')?.result).toBe('rerun')
  })

  it('refuses to open the store through a symlink', () => {
    const dir = runDir()
    const outside = join(runDir(), 'victim.txt')
    writeFileSync(outside, 'precious\n')
    symlinkSync(outside, runPaths(dir).agentStore)
    expect(() => openAgentStore(dir)).toThrow(/symbolic link; remove the link/)
    expect(readFileSync(outside, 'utf8')).toBe('precious\n')
  })

  it("feeds workflow_control's per-agent results (the plugin reads records from the store)", () => {
    const dir = runDir()
    const w = openAgentStore(dir)
    w.append(record('a-0', 'the full answer of a'))
    w.close()
    const view = emptyRunView('wf_t', 't')
    applyEvent(view, { type: 'agent.queued', key: 'a-0', label: 'first', phase: 'P', prompt: 'p', at: 1 })
    applyEvent(view, { type: 'agent.finished', key: 'a-0', status: 'done', tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }, cost: 0, cached: false, preview: 'the full', at: 2 })
    expect(agentResults(dir, view)).toContain('the full answer of a')
    expect(existsSync(runPaths(dir).legacyAgentsDir)).toBe(false)
  })
})

describe('run paths', () => {
  it('name every file of a run directory inside it', () => {
    const p = runPaths('/r')
    expect([p.script, p.previousScript, p.run, p.journal, p.snapshot, p.view, p.control, p.lock, p.result, p.report, p.agentStore]).toEqual([
      '/r/script.js',
      '/r/script.previous.js',
      '/r/run.json',
      '/r/journal.jsonl',
      '/r/snapshot.json',
      '/r/view.json',
      '/r/control.json',
      '/r/lock',
      '/r/result.json',
      '/r/report.md',
      '/r/agents.jsonl',
    ])
    expect(p.legacyAgentFile('abc-1')).toBe('/r/agents/abc-1.json')
  })
})
