// The planner: one OpenCode session (opencode/planner-session.ts) asked to write a script for the task; invalid
// answers are sent back with the problems, a bounded number of times.
import type { OpencodeConnection } from './connection.js'
import { DEFAULT_MAX_AGENTS, defaultConcurrency } from '../actors/runtime.js'
import { listAllWorkflows, workflowDescription } from '../actors/workflow-lookup.js'
import { checkPlannedScript, plannerPrompt, retryPrompt } from '../script/planner.js'
import { openPlannerSession } from '../opencode/planner-session.js'

export const PLANNER_TRIES = 3

export async function planScript(o: {
  connection: OpencodeConnection
  projectDir: string
  task: string
  concurrency?: number
  maxAgents?: number
  budget?: number
  quiet?: boolean
}): Promise<string> {
  const saved = listAllWorkflows(o.projectDir).map((w) => ({ name: w.name, description: workflowDescription(w) }))
  const session = await openPlannerSession(o.connection.client, o.task, o.connection.model)
  let text = plannerPrompt({
    task: o.task,
    savedWorkflows: saved,
    limits: { concurrency: o.concurrency ?? defaultConcurrency(), maxAgents: o.maxAgents ?? DEFAULT_MAX_AGENTS, budget: o.budget ?? null },
  })
  let lastProblems = ''
  for (let attempt = 1; attempt <= PLANNER_TRIES; attempt++) {
    if (!o.quiet) process.stderr.write(`ocdw: the planner is writing a script (attempt ${attempt}/${PLANNER_TRIES})\n`)
    const answer = await session.ask(text)
    const check = checkPlannedScript(answer)
    if (check.ok) return check.source
    lastProblems = check.problems
    text = retryPrompt(check.problems)
  }
  throw new Error(`The planner did not produce a valid script in ${PLANNER_TRIES} tries (last problem: ${lastProblems}); write one yourself and run it with --script.`)
}
