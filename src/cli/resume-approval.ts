// The approval gate of `ocdw resume` (issue 12.3): a run dir is a file tree anyone with write access to the project
// (or a cloned repository) can plant or edit, so resume runs its script.js unasked only when the script and the
// sub-workflows it names still have the hashes the user approved (recorded in run.json). Anything else is a new
// approval, exactly like `ocdw run`.
import { readFileSync } from 'node:fs'
import { approvedSetOf, sameApprovedSet, type ApprovedSet } from '../actors/approved-set.js'
import { workflowResolver } from '../actors/workflow-lookup.js'
import { parseScript } from '../script/meta.js'
import { writeFileAtomic } from '../store/atomic.js'
import { readRunFile, writeRunFile } from '../store/run-file.js'
import { runPaths } from '../store/run-dir.js'
import { approve, type Decision } from './approval.js'
import type { ApprovalMode } from '../usecases/approval-policy.js'

export interface ResumeApproval {
  runDir: string
  runId: string
  projectDir: string
  mode: ApprovalMode
  yes?: boolean
  /** An edited script to resume with (`ocdw resume --script`): approved like a new script unless it is script.js. */
  script?: { source: string; origin: string }
}

/** True when script.js and the sub-workflows it names still have the hashes recorded at approval (nothing to ask). */
export async function approvalUnchanged(runDir: string, projectDir: string): Promise<boolean> {
  const recorded = (readRunFile(runDir) as { approved?: ApprovedSet }).approved
  if (!recorded) return false
  const now = await approvedSetOf(readFileSync(runPaths(runDir).script, 'utf8'), workflowResolver(projectDir))
  return sameApprovedSet(recorded, { script: now.script, workflows: now.workflows })
}

/**
 * Approved: the set the resumed run may execute (recorded in run.json) and the script to resume with. Denied: a
 * sentence saying why and what to do.
 */
export async function approveResume(o: ResumeApproval): Promise<{ status: 'approved'; approved: ApprovedSet; source: string } | Extract<Decision, { status: 'denied' }>> {
  const runFile = readRunFile(o.runDir)
  const scriptPath = runPaths(o.runDir).script
  const onDisk = readFileSync(scriptPath, 'utf8')
  const edited = o.script !== undefined && o.script.source !== onDisk
  const source = edited ? o.script!.source : onDisk
  const parsed = parseScript(source)
  const resolve = workflowResolver(o.projectDir)
  const now = await approvedSetOf(source, resolve)
  const recorded = (runFile as { approved?: ApprovedSet }).approved
  const current: ApprovedSet = { script: now.script, workflows: now.workflows }
  if (!edited && sameApprovedSet(recorded, current)) return { status: 'approved', approved: current, source }
  const reason = edited
    ? `Resuming run ${o.runId} with the edited script ${o.script!.origin} runs a script you have not approved yet.`
    : recorded
    ? `The script of run ${o.runId} or a workflow it calls changed since it was approved, so resuming it needs approval again.`
    : `Run ${o.runId} has no record of an approved script (it was not started by this version of ocdw, or its run.json was replaced), so resuming it needs approval.`
  const decision = await approve({ projectDir: o.projectDir, source, parsed, origin: edited ? o.script!.origin : `resume of ${o.runId}`, mode: o.mode, yes: o.yes, subWorkflows: now.sources, reason })
  if (decision.status !== 'approved') return decision
  // Edited in the prompt: the edited script is what runs from now on. (An edited --script is written by the resume
  // itself, which keeps the previous script beside it.)
  if (!edited && decision.source !== source) writeFileAtomic(scriptPath, decision.source)
  const set = decision.source === source ? current : await approvedSetOf(decision.source, resolve)
  const approved: ApprovedSet = { script: set.script, workflows: set.workflows }
  writeRunFile(o.runDir, { ...readRunFile(o.runDir), approved } as never)
  return { status: 'approved', approved, source: decision.source }
}
