// The planner's I/O: one OpenCode session asked to write a script for the task; invalid answers are sent back with
// the problems, a bounded number of times.
import type { OpencodeConnection } from './connection.js'
import { DEFAULT_MAX_AGENTS, defaultConcurrency } from '../actors/runtime.js'
import { listAllWorkflows } from '../actors/workflow-lookup.js'
import { checkPlannedScript, plannerPrompt, retryPrompt } from '../script/planner.js'
import { parseScript } from '../script/meta.js'
import { readFileSync } from 'node:fs'

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
  const saved = listAllWorkflows(o.projectDir).map((w) => {
    try {
      return { name: w.name, description: parseScript(readFileSync(w.path, 'utf8')).meta.description }
    } catch {
      return { name: w.name }
    }
  })
  const client = o.connection.client
  const created = await client.session.create({ title: `ocdw planner: ${o.task.slice(0, 60)}` })
  if (!created.data) throw new Error(`The planner could not open an OpenCode session (${JSON.stringify(created.error)}).`)
  const sessionID = created.data.id
  const model = o.connection.model?.split('/')
  let text = plannerPrompt({
    task: o.task,
    savedWorkflows: saved,
    limits: { concurrency: o.concurrency ?? defaultConcurrency(), maxAgents: o.maxAgents ?? DEFAULT_MAX_AGENTS, budget: o.budget ?? null },
  })
  let lastProblems = ''
  for (let attempt = 1; attempt <= PLANNER_TRIES; attempt++) {
    if (!o.quiet) process.stderr.write(`ocdw: the planner is writing a script (attempt ${attempt}/${PLANNER_TRIES})\n`)
    const res = await client.session.prompt({
      sessionID,
      parts: [{ type: 'text', text }],
      ...(model && model.length >= 2 ? { model: { providerID: model[0], modelID: model.slice(1).join('/') } } : {}),
    })
    const msg = res.data
    if (!msg) throw new Error(`The planner's model call failed (${JSON.stringify(res.error)}); check the model with --model.`)
    const info = msg.info as { error?: { name?: string; data?: { message?: string } } }
    if (info.error) throw new Error(`The planner's model failed: ${info.error.data?.message ?? info.error.name}.`)
    const answer = msg.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n')
    const check = checkPlannedScript(answer)
    if (check.ok) return check.source
    lastProblems = check.problems
    text = retryPrompt(check.problems)
  }
  throw new Error(`The planner did not produce a valid script in ${PLANNER_TRIES} tries (last problem: ${lastProblems}); write one yourself and run it with --script.`)
}
