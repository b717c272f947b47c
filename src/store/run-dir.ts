// The run layout in one place (docs/ARCHITECTURE.md §4): every path ocdw reads or writes for a project's runs, and
// every file of one run directory. Nothing else builds these paths, so renaming a file or adding one is one edit
// here (and a line in README's "Runs on disk").
import { join } from 'node:path'

/** The files of one run directory, by what they hold. */
export interface RunDir {
  /** The run directory itself: `.opencode/workflows/runs/<runId>/`. */
  readonly root: string
  /** The workflow script the run runs. */
  readonly script: string
  /** The script a run had before `ocdw resume --script` replaced it. */
  readonly previousScript: string
  /** Run metadata: name, options, status, approval hashes, totals (src/store/run-file.ts). */
  readonly run: string
  /** The append-only record of what finished: the single source of truth for resume (src/store/journal.ts). */
  readonly journal: string
  /** The workflow actor's persisted snapshot, throttled (src/store/snapshot.ts). */
  readonly snapshot: string
  /** The run view the surfaces show, throttled (src/actors/run-recorder.ts). */
  readonly view: string
  /** Where a live run's control socket is (src/actors/control-server.ts). */
  readonly control: string
  /** Who holds the run (pid, host), for messages (src/store/lock.ts). */
  readonly lock: string
  /** The raw value the script returned. */
  readonly result: string
  /** The human report: status, phases, agents that did not finish, the result as Markdown. */
  readonly report: string
  /** Every settled agent's record (prompt, options, session, tools, result), one JSON line each, appended
   *  (src/store/agent-store.ts). */
  readonly agentStore: string
  /** The folder of one JSON file per agent that runs written before the agent store have (read, never written). */
  readonly legacyAgentsDir: string
  /** A legacy per-agent file: `agents/<key>.json`. Throws for a key that is not one (it would name another path). */
  legacyAgentFile(key: string): string
}

const SAFE_KEY = /^[A-Za-z0-9_-]+$/

/** The paths of the run directory at `root`. */
export function runPaths(root: string): RunDir {
  const at = (name: string) => join(root, name)
  return {
    root,
    script: at('script.js'),
    previousScript: at('script.previous.js'),
    run: at('run.json'),
    journal: at('journal.jsonl'),
    snapshot: at('snapshot.json'),
    view: at('view.json'),
    control: at('control.json'),
    lock: at('lock'),
    result: at('result.json'),
    report: at('report.md'),
    agentStore: at('agents.jsonl'),
    legacyAgentsDir: at('agents'),
    legacyAgentFile(key: string): string {
      if (!SAFE_KEY.test(key)) throw new Error(`"${key}" is not an agent key; keys look like 3f2a9c0d1e2b4a5c-0.`)
      return join(root, 'agents', `${key}.json`)
    },
  }
}

// ---- the project's workflow state, beside the saved workflows in `.opencode/workflows/` ----

/** `.opencode/workflows/` of a project: saved workflows, and (ignored by git) the runs and their companions. */
export function workflowsStateDir(projectDir: string): string {
  return join(projectDir, '.opencode', 'workflows')
}

/** Where the runs of a project live: `.opencode/workflows/runs/`. Everything in it is a run directory. */
export function runsDir(projectDir: string): string {
  return join(workflowsStateDir(projectDir), 'runs')
}

/** The directory of one run of a project. */
export function runDir(projectDir: string, runId: string): string {
  return join(runsDir(projectDir), runId)
}

/** Scheduled runs' terminal output (`ocdw schedule`), next to the runs and ignored like them. */
export function scheduleLogsDir(projectDir: string): string {
  return join(workflowsStateDir(projectDir), 'schedule-logs')
}

/** The `.gitignore` ocdw writes in `.opencode/workflows/` (src/store/paths.ts says what it ignores). */
export function workflowsGitignore(projectDir: string): string {
  return join(workflowsStateDir(projectDir), '.gitignore')
}

/** The folder the plugin writes a script into for the user to read before approving it. */
export function approvalsDir(projectDir: string): string {
  return join(workflowsStateDir(projectDir), 'approvals')
}

/** Markers of runs whose OpenCode server is still starting: `.opencode/workflows/.starting-<pid>.json`, beside the
 *  runs dir, not in it (src/actors/starting-run.ts). */
export const STARTING_MARKER_PREFIX = '.starting-'

export function startingMarker(projectDir: string, pid: number): string {
  return join(workflowsStateDir(projectDir), `${STARTING_MARKER_PREFIX}${pid}.json`)
}
