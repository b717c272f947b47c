// Opening a run: a new one (parse, create the run dir, lock, write script.js and run.json) or an existing one to
// resume (lock, read its script, journal and snapshot). Bad input is refused before anything is written.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { parseScript, type ParsedScript } from '../script/meta.js'
import { refuseSymlinkedDir, writeFileAtomic } from '../store/atomic.js'
import { completedFromJournal, readJournal } from '../store/journal.js'
import { acquireLock } from '../store/lock.js'
import { ensureRunsIgnored, newRunId, runDir as runDirOf } from '../store/paths.js'
import { runPaths } from '../store/run-dir.js'
import { readRunFile, writeRunFile, type RunFile } from '../store/run-file.js'
import { findRun } from '../store/runs.js'
import { readSnapshot } from '../store/snapshot.js'
import { reconcileSnapshot } from '../machines/workflow.js'
import { runElapsedMs } from '../machines/run-facts.js'
import { tokenTotals, ZERO_TOKENS } from '../machines/tokens.js'
import type { CachedAgent } from './resume-answers.js'
import { DEFAULT_MAX_AGENTS, defaultConcurrency, type StartRunOptions } from './run-options.js'

export interface OpenedRun {
  runId: string
  runDir: string
  parsed: ParsedScript
  args: unknown
  options: { concurrency: number; maxAgents: number; budget: number | null }
  /** Agents completed in an earlier attempt of this run, by key (resume). */
  cached: Map<string, CachedAgent>
  /** The script was edited for this resume: journal answers serve only the leading calls that are unchanged. */
  edited: boolean
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

async function openNew(o: StartRunOptions): Promise<OpenedRun> {
  if (o.script === undefined) throw new Error('A new run needs a script.')
  const parsed = parseScript(o.script)
  const runId = newRunId(new Date(), () => randomBytes(8).readBigUInt64BE().toString(36).slice(0, 6).padStart(6, '0'))
  const runDir = runDirOf(o.projectDir, runId)
  mkdirSync(runDir, { recursive: true })
  ensureRunsIgnored(o.projectDir)
  const lock = await acquireLock(runDir)
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
    ...(o.approved ? { approved: o.approved } : {}),
  } as RunFile
  writeFileAtomic(runPaths(runDir).script, o.script)
  writeRunFile(runDir, runFile)
  return { runId, runDir, parsed, args: o.args, options, cached: new Map(), edited: false, runFile, problems: [], release: () => lock.release() }
}

async function openExisting(o: StartRunOptions, runIdOrPrefix: string): Promise<OpenedRun> {
  const found = findRun(o.projectDir, runIdOrPrefix)
  const runDir = found.dir
  refuseSymlinkedDir(runDir)
  const lock = await acquireLock(runDir)
  try {
    const runFile = readRunFile(runDir)
    const original = readFileSync(runPaths(runDir).script, 'utf8')
    // Edit, then resume: the edited script replaces script.js (the previous one is kept beside it).
    const edited = o.script !== undefined && o.script !== original
    const source = edited ? o.script! : original
    const parsed = parseScript(source)
    const { entries, problems } = readJournal(runDir)
    const cached = new Map<string, CachedAgent>()
    let seq = 0
    for (const [key, c] of completedFromJournal(entries)) cached.set(key, { ...c, seq: seq++ })
    const snap = readSnapshot(runDir) as { snapshot?: { status?: string }; warning?: string } | undefined
    const options = {
      concurrency: o.concurrency ?? runFile.options.concurrency ?? defaultConcurrency(),
      maxAgents: o.maxAgents ?? runFile.options.maxAgents ?? DEFAULT_MAX_AGENTS,
      budget: o.budget !== undefined ? o.budget : (runFile.options.budget ?? null),
    }
    // Only an interrupted actor is restored; a finished or stopped run starts a fresh actor (its agents still
    // answer from the journal), and so does an edited script (the old one's in-flight agents may not exist in it).
    const snapshot =
      !edited && snap?.snapshot && snap.snapshot.status === 'active'
        ? reconcileSnapshot(snap.snapshot, new Set(cached.keys()), { concurrency: options.concurrency, maxAgents: options.maxAgents, budgetTotal: options.budget })
        : undefined
    if (edited) {
      writeFileAtomic(runPaths(runDir).previousScript, original)
      writeFileAtomic(runPaths(runDir).script, source)
    }
    const now = Date.now()
    const resumed: RunFile = {
      ...runFile,
      name: parsed.meta.name,
      status: 'running',
      endedAt: undefined,
      error: undefined,
      pid: process.pid,
      options: { ...runFile.options, ...options, ...(o.concurrency !== undefined ? { concurrencyMode: 'pinned' } : {}) },
      // Elapsed time counts the time the run ran, not the time it lay interrupted or finished (src/machines/run-facts.ts).
      activeMs: elapsedBefore(runDir, runFile),
      resumedAt: now,
    }
    writeRunFile(runDir, resumed)
    return {
      runId: runFile.id,
      runDir,
      parsed,
      args: runFile.args,
      options,
      cached,
      edited,
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

/** How long the run had run before this resume: its recorded end, or (after a crash) its journal's last write. */
function elapsedBefore(runDir: string, run: RunFile): number {
  let end = run.endedAt
  if (end === undefined) {
    try {
      end = statSync(runPaths(runDir).journal).mtimeMs
    } catch {
      end = run.resumedAt ?? run.startedAt
    }
  }
  return runElapsedMs(run, end)
}

function emptyTotals(): RunFile['totals'] {
  return {
    agents: { total: 0, done: 0, failed: 0, stopped: 0, skipped: 0, cached: 0 },
    tokens: tokenTotals(ZERO_TOKENS),
    cost: 0,
  }
}
