// Reading a run for the surfaces (`ocdw ls/show`, the TUI, the plugin): a live run answers over its control channel,
// a finished one from view.json, a crashed one (no view.json) from its journal.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { applyEvent, emptyRunView, parseRunView, type RunView } from '../machines/run-view.js'
import { runFacts, type RunFacts } from '../machines/run-facts.js'
import { ZERO_TOKENS } from '../machines/tokens.js'
import { readJournal } from '../store/journal.js'
import { readRunFile, type RunFile } from '../store/run-file.js'
import { runPaths } from '../store/run-dir.js'
import { listRuns } from '../store/runs.js'
import { fetchLiveView, liveSocketOf } from './control-client.js'

export function isLive(runDir: string): boolean {
  return liveSocketOf(runDir) !== undefined
}

/** A run as the lists show it (`ocdw ls`, the TUI, workflow_status): a run whose process died still says `running`
 *  in run.json, so it is listed as `interrupted` (the user resumes it). `facts` are the figures every surface prints. */
export interface ListedRun {
  dir: string
  run: RunFile
  live: boolean
  status: string
  facts: RunFacts
}

/** From disk only (a live run's view.json is at most a throttle window old); listRunFacts asks live runs instead. */
export function listRunsWithStatus(projectDir: string): ListedRun[] {
  return listRuns(projectDir).map(({ dir, run }) => {
    const live = isLive(dir)
    return listed(dir, run, live, diskView(dir, run, live))
  })
}

/** Like listRunsWithStatus, with each live run's figures from its process (what `ocdw show` prints). */
export async function listRunFacts(projectDir: string): Promise<ListedRun[]> {
  return Promise.all(
    listRuns(projectDir).map(async ({ dir, run }) => {
      const live = isLive(dir)
      let view: RunView | undefined
      // A live process that does not answer within a few seconds is listed from its files instead.
      if (live) view = await Promise.race([fetchLiveView(dir).catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000).unref())])
      return listed(dir, run, live, view ?? diskView(dir, run, live))
    }),
  )
}

function listed(dir: string, run: RunFile, live: boolean, view: RunView | undefined): ListedRun {
  const facts = runFacts(run, view, { live, now: Date.now(), lastWriteAt: lastWriteAt(dir) })
  return { dir, run, live, status: facts.status, facts }
}

function diskView(dir: string, run: RunFile, live: boolean): RunView | undefined {
  try {
    // A live run's view.json is its process's own view (throttled): its status is current, not a crash's leftover.
    const paths = runPaths(dir)
    if (live) return parseRunView(readFileSync(paths.view, 'utf8'))
    return existsSync(paths.view) || existsSync(paths.journal) ? readViewFromDisk(dir, run) : undefined
  } catch {
    return undefined
  }
}

/** When a run last wrote its journal: where a dead run's elapsed time ends. */
export function lastWriteAt(dir: string): number | undefined {
  try {
    return statSync(runPaths(dir).journal).mtimeMs
  } catch {
    return undefined
  }
}

export async function loadRunView(runDir: string): Promise<{ view: RunView; run: RunFile; live: boolean }> {
  const run = readRunFile(runDir)
  if (isLive(runDir)) {
    try {
      return { view: await fetchLiveView(runDir), run, live: true }
    } catch {
      /* ended between the check and the request: read it from disk */
    }
  }
  return { view: readViewFromDisk(runDir, run), run, live: false }
}

export function readViewFromDisk(runDir: string, run: RunFile): RunView {
  const file = runPaths(runDir).view
  let view: RunView | undefined
  if (existsSync(file)) {
    try {
      view = parseRunView(readFileSync(file, 'utf8'))
    } catch {
      view = undefined
    }
  }
  view ??= viewFromJournal(runDir, run)
  // run.json is the authority on how the run ended; a run it still calls running or paused has no process (this is
  // read from disk), so it was interrupted.
  view.status = (run.status === 'running' || run.status === 'paused' ? 'interrupted' : run.status) as RunView['status']
  if (run.error) view.error = run.error
  return view
}

/** Rebuilds what it can of a view from the journal: agents that started or finished, phases, logs. */
function viewFromJournal(runDir: string, run: RunFile): RunView {
  const view = emptyRunView(run.id, run.name)
  const { entries } = readJournal(runDir)
  const zero = ZERO_TOKENS
  const seen = new Set<string>()
  const queue = (key: string, phase = '', label = key, at: number) => {
    if (seen.has(key)) return
    seen.add(key)
    applyEvent(view, { type: 'agent.queued', key, label, phase, prompt: '', at })
  }
  for (const e of entries) {
    if (e.t === 'phase') applyEvent(view, { type: 'phase.started', title: e.title, at: e.at })
    else if (e.t === 'log') applyEvent(view, { type: 'log', message: e.message, level: e.level, at: e.at })
    else if (e.t === 'agent.started') {
      queue(e.key, undefined, undefined, e.at)
      applyEvent(view, { type: 'agent.started', key: e.key, attempt: e.attempt, at: e.at })
    } else if (e.t === 'agent.done') {
      queue(e.key, e.phase, e.label, e.at)
      applyEvent(view, { type: 'agent.finished', key: e.key, status: 'done', tokens: e.tokens ?? zero, cost: e.cost ?? 0, cached: false, at: e.at })
    } else if (e.t === 'agent.failed') {
      queue(e.key, undefined, undefined, e.at)
      applyEvent(view, { type: 'agent.finished', key: e.key, status: 'failed', error: e.error, tokens: e.tokens ?? zero, cost: e.cost ?? 0, cached: false, at: e.at })
    } else if (e.t === 'agent.stopped') {
      queue(e.key, undefined, undefined, e.at)
      applyEvent(view, { type: 'agent.finished', key: e.key, status: 'stopped', tokens: zero, cost: 0, cached: false, at: e.at })
    }
  }
  return view
}
