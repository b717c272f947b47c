// Approval of a workflow inside OpenCode, through OpenCode's own permission prompt (ctx.ask). What the user sees:
// the tool call's title names the workflow, its description, phases, estimated agent count and the sub-workflows it
// calls, and the path of a file holding the full script and those sub-workflows; the request's metadata carries the
// same plus the full texts. "Always" is keyed on the sha256 of the script together with its sub-workflows, never on
// meta.name (which the model chooses): another script with the same name, or a changed sub-workflow, asks again.
import { existsSync, lstatSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { ToolContext } from '@opencode-ai/plugin'
import { estimateAgents } from '../script/estimate.js'
import type { ScriptMeta } from '../script/meta.js'
import { approvedWithoutAsking, consentHash, scriptHash, type ApprovalMode } from '../usecases/approval-policy.js'
import { writeFileAtomic } from '../store/atomic.js'
import { approvalsDir } from '../store/run-dir.js'
import { sanitizeLine } from '../machines/sanitize.js'

export type PluginMode = ApprovalMode

export interface ApprovalRequest {
  projectDir: string
  meta: ScriptMeta
  source: string
  /** The caller's own description (the tool's `description` argument), shown next to the script's. */
  callerDescription?: string
  /** The source of each sub-workflow the script names in a workflow('...') call: approved together with it. */
  subWorkflows?: Record<string, string>
}

export interface ApprovalOutcome {
  /** sha256 of what was approved: the script's own when it calls no sub-workflow, else of the script and them. */
  scriptHash: string
  /** How the run was let go: asked and allowed, known consent, or the bypass option. */
  how: 'asked' | 'consent' | 'bypass'
  scriptFile?: string
}

export { scriptHash }

/**
 * The permission pattern of one script. OpenCode's TUI shows it in the "Allow always" confirmation, so it reads as a
 * summary; it ends with the script's sha256, so "always" covers exactly this script. OpenCode matches approved
 * patterns as wildcards: `*` and `?` are taken out of the readable part so a crafted name cannot widen it.
 */
export function approvalPattern(summary: string, hash: string): string {
  const readable = sanitizeLine(summary).replace(/[*?]/g, '').slice(0, 300)
  return `${readable} sha256:${hash}`
}

/** One line for the user: name, description, phases, estimated agents (and where the full script is). */
export function approvalSummary(r: ApprovalRequest, scriptFile?: string | '', est = estimateAgents(r.source)): string {
  const agents = est.unbounded ? `${est.max ? `at least ${est.max}` : 'an open-ended number of'} agents (loops or sub-workflows)` : `${est.max} agent${est.max === 1 ? '' : 's'}`
  const phases = r.meta.phases?.length ? `phases ${r.meta.phases.map((p) => p.title).join(' → ')}` : 'no declared phases'
  const description = [r.meta.description, r.callerDescription].filter(Boolean).join(' — ')
  const subs = Object.keys(r.subWorkflows ?? {})
  const calls = subs.length ? `; calls sub-workflow${subs.length === 1 ? '' : 's'} ${subs.join(', ')}` : ''
  const where = scriptFile === undefined ? '' : scriptFile ? `; full script: ${scriptFile}` : "; full script: in the request's metadata"
  // The model writes the name, description, phases and sub-workflow names: OpenCode shows this line as the tool
  // call's title and a toast, so no terminal control sequence survives in it.
  return sanitizeLine(`workflow ${r.meta.name}${description ? `: ${description}` : ''}; ${phases}; about ${agents}${calls}${where}`)
}

/** What the user reads before answering: the script, then each sub-workflow it calls under a comment naming it. */
export function reviewText(source: string, subWorkflows: Record<string, string> = {}): string {
  const parts = Object.entries(subWorkflows).map(([name, text]) => `\n// ---- sub-workflow ${JSON.stringify(name)}, approved with the script above ----\n${text}`)
  return source + parts.join('')
}

/**
 * The script as the user can read it before answering: `.opencode/workflows/approvals/<name>-<hash>.js` in the
 * project (written by rename, so a planted file there is replaced, never followed). A repository can ship those
 * directories as symbolic links to elsewhere: then no file is written (the request's metadata still holds the text).
 */
function writeScriptForReview(projectDir: string, name: string, hash: string, text: string): string | undefined {
  const dir = approvalsDir(projectDir)
  for (let d = dir; d.length > projectDir.length; d = dirname(d)) {
    if (existsSync(d) && lstatSync(d).isSymbolicLink()) return undefined
  }
  try {
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)}-${hash.slice(0, 16)}.js`)
    writeFileAtomic(file, text)
    return file
  } catch {
    return undefined // a read-only project: the metadata still carries the script
  }
}

/** Shows a line in OpenCode's TUI (a toast); nothing when no TUI is attached. */
export type Notify = (title: string, message: string, durationMs?: number) => Promise<void>

export async function approveInOpencode(mode: PluginMode, ctx: ToolContext, r: ApprovalRequest, notify?: Notify): Promise<ApprovalOutcome> {
  const hash = consentHash(r.source, r.subWorkflows)
  const scriptFile = writeScriptForReview(r.projectDir, r.meta.name, hash, reviewText(r.source, r.subWorkflows))
  // The same policy as the CLI's; "always" in OpenCode's own prompt is OpenCode's to remember (keyed on the hash).
  const without = approvedWithoutAsking(mode, { projectDir: r.projectDir, name: r.meta.name, source: r.source, subWorkflows: r.subWorkflows })
  if (without) return { scriptHash: hash, how: without, scriptFile }
  const est = estimateAgents(r.source)
  const summary = approvalSummary(r, scriptFile ?? '', est)
  // The tool call's title is what OpenCode shows next to its permission prompt (the TUI shows no request metadata).
  ctx.metadata({ title: summary, metadata: { approval: summary, ...(scriptFile ? { scriptFile } : {}) } })
  const pattern = approvalPattern(approvalSummary(r, undefined, est), hash)
  // OpenCode's own prompt: once / always / reject; a reject throws, which ends the tool call. No undefined values:
  // OpenCode 1.18 then fails to encode the request (GET /permission answers 400).
  // OpenCode's TUI permission dialog shows only "Call tool workflow": a toast next to it says what would run. Only
  // when the user is really being asked (the config may allow "workflow"), i.e. when the answer is not immediate.
  let asking = true
  const toastLater = setTimeout(() => asking && void notify?.(`Approve workflow ${r.meta.name}?`, summary, 120_000), 400)
  try {
    await ctx.ask({
      permission: 'workflow',
      patterns: [pattern],
      always: [pattern],
      metadata: {
        name: r.meta.name,
        description: [r.meta.description, r.callerDescription].filter(Boolean).join(' — '),
        phases: (r.meta.phases ?? []).map((p) => p.title),
        estimatedAgents: est.max,
        openEnded: est.unbounded,
        sha256: hash,
        ...(scriptFile ? { scriptFile } : {}),
        summary,
        script: r.source,
        ...(Object.keys(r.subWorkflows ?? {}).length ? { workflows: r.subWorkflows } : {}),
      },
    })
  } catch (err) {
    // The approval toast must not linger after a refusal.
    await notify?.(`workflow ${r.meta.name}`, 'not approved; nothing ran', 3000)
    throw err
  } finally {
    asking = false
    clearTimeout(toastLater)
  }
  return { scriptHash: hash, how: 'asked', scriptFile }
}
