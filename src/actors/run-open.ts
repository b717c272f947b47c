// Opening a run: a new one (parse, create the run dir, lock, write script.js and run.json) or an existing one to
// resume (lock, read its script, journal and snapshot). Bad input is refused before anything is written.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { parseScript, type ParsedScript } from '../script/meta.js'
import { writeFileAtomic } from '../store/atomic.js'
import { completedFromJournal, readJournal } from '../store/journal.js'
import { acquireLock } from '../store/lock.js'
import { newRunId, runDir as runDirOf } from '../store/paths.js'
import { readRunFile, writeRunFile, type RunFile } from '../store/run-file.js'
import { findRun } from '../store/runs.js'
import { readSnapshot } from '../store/snapshot.js'
import { reconcileSnapshot } from '../machines/workflow.js'
import type { CachedAgent } from './script-host.js'
import { DEFAULT_MAX_AGENTS, defaultConcurrency, type StartRunOptions } from './runtime.js'

export interface OpenedRun {
  runId: string
  runDir: string
  parsed: ParsedScript
  args: unknown
  options: { concurrency: number; maxAgents: number; budget: number | null }
  /** Agents completed in an earlier attempt of this run, by key (resume). */
  cached: Map<string, CachedAgent>
  /** The workflow actor's persisted snapshot to restore, when the run was interrupted mid-way. */
  snapshot?: unknown
  runFile: RunFile
  /** Problems found while reading the run (corrupt journal lines...), reported as warnings. */
  problems: string[]
  release(): void
}

export async function openRun(o: StartRunOptions): Promise<OpenedRun> {
  return o.resumeRunId ? openExisting(o, o.resumeRunId) : openNew(o)
}

function openNew(o: StartRunOptions): OpenedRun {
  if (o.script === undefined) throw new Error('A new run needs a script.')
  const parsed = parseScript(o.script)
  const runId = newRunId(new Date(), () => randomBytes(8).readBigUInt64BE().toString(36).slice(0, 6).padStart(6, '0'))
  const runDir = runDirOf(o.projectDir, runId)
  mkdirSync(join(runDir, 'agents'), { recursive: true })
  const lock = acquireLock(runDir)
  const options = {
    concurrency: o.concurrency ?? defaultConcurrency(),
    maxAgents: o.maxAgents ?? DEFAULT_MAX_AGENTS,
    budget: o.budget ?? null,
  }
  const runFile: RunFile = {
    id: runId,
    name: parsed.meta.name,
    description: parsed.meta.description,
    projectDir: o.projectDir,
    args: o.args,
    options: { ...options, ...(o.recordOptions ?? {}) },
    status: 'running',
    startedAt: Date.now(),
    pid: process.pid,
    host: hostname(),
    totals: emptyTotals(),
  } as RunFile
  writeFileAtomic(join(runDir, 'script.js'), o.script)
  writeRunFile(runDir, runFile)
  return { runId, runDir, parsed, args: o.args, options, cached: new Map(), runFile, problems: [], release: () => lock.release() }
}

function openExisting(o: StartRunOptions, runIdOrPrefix: string): OpenedRun {
  const found = findRun(o.projectDir, runIdOrPrefix)
  const runDir = found.dir
  const lock = acquireLock(runDir)
  try {
    const runFile = readRunFile(runDir)
    const source = readFileSync(join(runDir, 'script.js'), 'utf8')
    const parsed = parseScript(source)
    const { entries, problems } = readJournal(runDir)
    const cached = new Map<string, CachedAgent>()
    for (const [key, c] of completedFromJournal(entries)) cached.set(key, c as CachedAgent)
    const snap = readSnapshot(runDir) as { snapshot?: { status?: string }; warning?: string } | undefined
    // Only an interrupted actor is restored; a finished or stopped run starts a fresh actor (its agents still
    // answer from the journal).
    const snapshot = snap?.snapshot && snap.snapshot.status === 'active' ? reconcileSnapshot(snap.snapshot, new Set(cached.keys())) : undefined
    const options = {
      concurrency: o.concurrency ?? runFile.options.concurrency ?? defaultConcurrency(),
      maxAgents: o.maxAgents ?? runFile.options.maxAgents ?? DEFAULT_MAX_AGENTS,
      budget: o.budget !== undefined ? o.budget : (runFile.options.budget ?? null),
    }
    const resumed: RunFile = { ...runFile, status: 'running', endedAt: undefined, error: undefined, pid: process.pid, options: { ...runFile.options, ...options, ...(o.concurrency !== undefined ? { concurrencyMode: 'pinned' } : {}) } }
    writeRunFile(runDir, resumed)
    return {
      runId: runFile.id,
      runDir,
      parsed,
      args: runFile.args,
      options,
      cached,
      snapshot,
      runFile: resumed,
      problems: [...problems.map((p) => `journal line ${p.line}: ${p.message} (ignored)`), ...(snap?.warning ? [snap.warning] : [])],
      release: () => lock.release(),
    }
  } catch (err) {
    lock.release()
    throw err
  }
}

function emptyTotals(): RunFile['totals'] {
  return {
    agents: { total: 0, done: 0, failed: 0, stopped: 0, skipped: 0, cached: 0 },
    tokens: { input: 0, output: 0, reasoning: 0, total: 0 },
    cost: 0,
  }
}
