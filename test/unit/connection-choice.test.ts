// Pure helpers of the server lifecycle: which connection a resume uses, the summary of a completed run, and which
// temp homes count as dead (pid gone, or the pid reused by a process with another start time).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { completedSummary, resumeConnection } from '../../src/cli/resume-connection.js'
import { processStartTime, reclaimDeadTempDirs } from '../../src/store/temp-dirs.js'

describe('resumeConnection', () => {
  const offlineRun = { offline: true, model: 'ocdw-offline/offline' }
  it('reuses the recorded connection without flags', () => {
    expect(resumeConnection(offlineRun, {})).toEqual({ servers: undefined, offline: true, model: 'ocdw-offline/offline' })
    expect(resumeConnection({ server: 'http://127.0.0.1:4096', offline: false, model: 'a/b' }, {})).toEqual({ servers: [{ url: 'http://127.0.0.1:4096' }], offline: false, model: 'a/b' })
  })
  it('lets --server and --offline override, dropping a model that belonged to the other connection', () => {
    expect(resumeConnection(offlineRun, { servers: [{ url: 'http://127.0.0.1:1' }] })).toEqual({ servers: [{ url: 'http://127.0.0.1:1' }], offline: false, model: undefined })
    expect(resumeConnection({ server: 'http://x:1', model: 'a/b' }, { offline: true })).toEqual({ offline: true, model: undefined })
    expect(resumeConnection(offlineRun, { model: 'c/d' })).toMatchObject({ offline: true, model: 'c/d' })
  })
})

describe('temp homes', () => {
  let tmp: string
  const saved = process.env.TMPDIR
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'ocdw-reclaim-test-'))
    process.env.TMPDIR = tmp
  })
  afterEach(() => {
    process.env.TMPDIR = saved
    if (saved === undefined) delete process.env.TMPDIR
    rmSync(tmp, { recursive: true, force: true })
  })
  const home = (name: string, owner?: object) => {
    const dir = join(tmp, `ocdw-offline-home-${name}`)
    mkdirSync(dir)
    if (owner) writeFileSync(join(dir, '.ocdw-owner.json'), JSON.stringify(owner))
    return dir
  }
  it('removes homes of dead owners and of reused pids, keeps live and recent unstamped ones', () => {
    const live = home('live', { pid: process.pid, start: processStartTime(process.pid) })
    const reused = home('reused', { pid: process.pid, start: 'not-the-start-time' })
    const dead = home('dead', { pid: 2 ** 22 + 12345 })
    const unstamped = home('old-version')
    expect(reclaimDeadTempDirs('ocdw-offline-home-')).toBe(2)
    expect([existsSync(live), existsSync(reused), existsSync(dead), existsSync(unstamped)]).toEqual([true, false, false, true])
    // A day later, a home from before owner stamps counts as dead.
    expect(reclaimDeadTempDirs('ocdw-offline-home-', Date.now() + 25 * 3600_000)).toBe(1)
    expect(existsSync(unstamped)).toBe(false)
  })
})

describe('completedSummary', () => {
  it('is built from run.json and result.json of a completed run only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ocdw-summary-test-'))
    try {
      writeFileSync(join(dir, 'result.json'), JSON.stringify({ ok: 1 }))
      const run = { id: 'wf_x', name: 'x', projectDir: dir, options: {}, status: 'completed', startedAt: 1000, endedAt: 4000, totals: { agents: { total: 2, done: 2, failed: 0, stopped: 0, skipped: 0, cached: 0 }, tokens: { input: 1, output: 2, reasoning: 0, total: 3 }, cost: 0 } }
      expect(completedSummary(dir, run as never)).toMatchObject({ runId: 'wf_x', status: 'completed', result: { ok: 1 }, elapsedMs: 3000, agents: { total: 2, done: 2 } })
      expect(completedSummary(dir, { ...run, status: 'stopped' } as never)).toBeUndefined()
      // Failed agents run again on resume, so such a run is not short-cut.
      expect(completedSummary(dir, { ...run, totals: { ...run.totals, agents: { ...run.totals.agents, done: 1, failed: 1 } } } as never)).toBeUndefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
