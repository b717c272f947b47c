// The run store on a real temp dir: journal (truncated line tolerated, completed agents), lock (live holder refused
// with its pid, stale lock taken over), atomic writes refusing symlinks, saved workflows, consent, run lookup.
import { spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeFileAtomic } from '../../src/store/atomic.js'
import { hasConsent, recordConsent } from '../../src/store/consent.js'
import { completedFromJournal, openJournal, readJournal } from '../../src/store/journal.js'
import { acquireLock, isLockHeld } from '../../src/store/lock.js'
import { newRunId, runDir } from '../../src/store/paths.js'
import { writeRunFile } from '../../src/store/run-file.js'
import { findRun, listRuns } from '../../src/store/runs.js'
import { findSavedWorkflow, listSavedWorkflows, saveWorkflow } from '../../src/store/saved-workflows.js'
import { tempDirs } from '../support/temp-dirs.js'

const temp = tempDirs('ocdw-store-')
const tokens = { input: 1, output: 2, reasoning: 0, cacheRead: 0, cacheWrite: 0 }

describe('journal', () => {
  it('tolerates a truncated last line, reports it, and keeps every complete entry', () => {
    const d = temp()
    const j = openJournal(d)
    j.append({ t: 'agent.started', key: 'a-0', attempt: 1, at: 1 })
    j.append({ t: 'agent.done', key: 'a-0', phase: 'P', label: 'a', result: { x: 1 }, tokens, cost: 0, at: 2 })
    j.close()
    appendFileSync(join(d, 'journal.jsonl'), '{"t":"agent.done","key":"b-0","res')
    const { entries, problems } = readJournal(d)
    expect(entries).toHaveLength(2)
    expect(problems).toEqual([{ line: 3, message: 'truncated last line' }])
    expect(completedFromJournal(entries).get('a-0')).toMatchObject({ result: { x: 1 }, phase: 'P' })
    // A writer opening the damaged journal starts on a fresh line, so its entries stay readable.
    const j2 = openJournal(d)
    j2.append({ t: 'agent.done', key: 'c-0', phase: 'P', label: 'c', result: 'ok', tokens, cost: 0, at: 3 })
    j2.close()
    expect(completedFromJournal(readJournal(d).entries).has('c-0')).toBe(true)
  })

  it('a later failure of a restarted agent wins over its earlier success', () => {
    const done = { t: 'agent.done' as const, key: 'a-0', phase: 'P', label: 'a', result: 1, tokens, cost: 0, at: 1 }
    expect(completedFromJournal([done, { t: 'agent.failed', key: 'a-0', error: 'x', at: 2 }]).has('a-0')).toBe(false)
  })
})

describe('lock', () => {
  it('refuses a second writer naming the holder; a dead holder\'s lock file is no obstacle', async () => {
    const d = temp()
    const first = await acquireLock(d)
    await expect(acquireLock(d)).rejects.toThrow(new RegExp(`in use by process ${process.pid}.*ocdw stop`))
    expect(await isLockHeld(d)).toBe(true)
    first.release()
    expect(await isLockHeld(d)).toBe(false)
    const sleeper = spawn(process.execPath, ['-e', ''])
    await new Promise((r) => sleeper.on('exit', r))
    writeFileSync(join(d, 'lock'), JSON.stringify({ pid: sleeper.pid, host: hostname(), at: 0 }))
    const lock = await acquireLock(d) // the holder is dead: its lock went with it
    expect(JSON.parse(readFileSync(join(d, 'lock'), 'utf8')).pid).toBe(process.pid)
    lock.release()
  })
})

describe('atomic writes and saved workflows', () => {
  it('refuses to write through a symlink', () => {
    const d = temp()
    writeFileSync(join(d, 'target'), 'keep')
    symlinkSync(join(d, 'target'), join(d, 'link'))
    expect(() => writeFileAtomic(join(d, 'link'), 'evil')).toThrow(/symbolic link/)
    expect(readFileSync(join(d, 'target'), 'utf8')).toBe('keep')
  })

  it('saves a workflow with its command file, refuses overwrite without force and symlinked dirs', () => {
    const project = temp()
    const personal = temp()
    const prev = process.env.OPENCODE_CONFIG_DIR
    process.env.OPENCODE_CONFIG_DIR = personal
    try {
      const saved = saveWorkflow({ projectDir: project, name: 'audit', source: 'export const meta = { name: "audit" }\n', description: 'd' })
      expect(readFileSync(saved.commandPath, 'utf8')).toContain('$ARGUMENTS')
      expect(() => saveWorkflow({ projectDir: project, name: 'audit', source: 'x' })).toThrow(/already exists.*--force/)
      saveWorkflow({ projectDir: project, name: 'audit', source: 'y', personal: true })
      expect(findSavedWorkflow(project, 'audit')!.scope).toBe('project')
      expect(listSavedWorkflows(project).map((w) => w.scope)).toEqual(['project', 'personal'])
      expect(() => saveWorkflow({ projectDir: project, name: '../evil', source: 'x' })).toThrow(/not a usable workflow name/)
      const other = temp()
      const linked = temp()
      mkdirSync(join(other, '.opencode'))
      symlinkSync(linked, join(other, '.opencode', 'workflows'))
      expect(() => saveWorkflow({ projectDir: other, name: 'x', source: 'x' })).toThrow(/symbolic link/)
    } finally {
      if (prev === undefined) delete process.env.OPENCODE_CONFIG_DIR
      else process.env.OPENCODE_CONFIG_DIR = prev
    }
  })

  it('consent is per project, name and script hash', () => {
    const prev = process.env.OPENCODE_CONFIG_DIR
    process.env.OPENCODE_CONFIG_DIR = temp()
    try {
      const key = { projectDir: '/p', name: 'w', scriptHash: 'h1' }
      expect(hasConsent(key)).toBe(false)
      recordConsent(key)
      expect(hasConsent(key)).toBe(true)
      expect(hasConsent({ ...key, scriptHash: 'h2' })).toBe(false)
      expect(hasConsent({ ...key, projectDir: '/other' })).toBe(false)
    } finally {
      if (prev === undefined) delete process.env.OPENCODE_CONFIG_DIR
      else process.env.OPENCODE_CONFIG_DIR = prev
    }
  })
})

describe('runs', () => {
  it('finds a run by unique prefix and explains an ambiguous or unknown one', () => {
    const project = temp()
    for (const [id, at] of [['wf_20261126_aaaaaa', 1], ['wf_20261126_aabbbb', 2]] as const) {
      const dir = runDir(project, id)
      mkdirSync(dir, { recursive: true })
      writeRunFile(dir, { id, name: 'n', projectDir: project, options: {}, status: 'completed', startedAt: at, totals: { agents: { total: 0, done: 0, failed: 0, stopped: 0, skipped: 0, cached: 0 }, tokens: { input: 0, output: 0, reasoning: 0, total: 0 }, cost: 0 } })
    }
    expect(listRuns(project).map((r) => r.run.id)).toEqual(['wf_20261126_aabbbb', 'wf_20261126_aaaaaa'])
    expect(findRun(project, 'wf_20261126_aab').run.id).toBe('wf_20261126_aabbbb')
    expect(() => findRun(project, 'wf_20261126_aa')).toThrow(/matches 2 runs/)
    expect(() => findRun(project, 'nope')).toThrow(/no run "nope".*ocdw ls/)
  })

  it('makes sortable, well-formed run ids', () => {
    expect(newRunId(new Date('2026-11-26T10:00:00Z'), () => 'AB12cd')).toBe('wf_20261126_ab12cd')
  })
})
