// Approval before any agent runs (README "Usage"): shows the workflow's name, description, phases and a caution
// about size, then Yes / Yes and don't ask again / View raw script / Edit script / No. Modes: default (ask unless
// consent was recorded), auto (ask on the first launch of a name, record consent), bypass (never ask).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline/promises'
import { parseScript, type ParsedScript } from '../script/meta.js'
import { estimateAgents } from '../script/estimate.js'
import { sha256 } from '../actors/approved-set.js'
import { approvedWithoutAsking, rememberYes, type ApprovalMode } from '../usecases/approval-policy.js'
import { sanitizeLine, sanitizeForTerminal } from '../machines/sanitize.js'

export type Decision = { status: 'approved'; source: string } | { status: 'denied'; message: string }

export interface ApprovalRequest {
  projectDir: string
  source: string
  parsed: ParsedScript
  origin: string
  mode: ApprovalMode
  yes?: boolean
  input?: NodeJS.ReadableStream
  output?: NodeJS.WritableStream
  /** Sub-workflows the script calls by name (name -> source): shown, and part of the hash consent is keyed on. */
  subWorkflows?: Record<string, string>
  /** Why approval is asked (resume of a changed or unrecorded run), said before the prompt. */
  reason?: string
}

export { scriptHash } from '../usecases/approval-policy.js'

export async function approve(req: ApprovalRequest): Promise<Decision> {
  const subject = { projectDir: req.projectDir, name: req.parsed.meta.name, source: req.source, subWorkflows: req.subWorkflows }
  if (approvedWithoutAsking(req.mode, subject, req.yes)) return { status: 'approved', source: req.source }
  const input = req.input ?? process.stdin
  const output = req.output ?? process.stderr
  if (!(input as NodeJS.ReadStream).isTTY && !req.input) {
    return {
      status: 'denied',
      message: `${req.reason ? `${req.reason} ` : ''}The workflow "${req.parsed.meta.name}" needs approval and there is no terminal to ask in; run again with --yes (or --mode bypass) to approve it.`,
    }
  }
  let source = req.source
  let parsed = req.parsed
  const rl = createInterface({ input, output, terminal: false })
  try {
    if (req.reason) output.write(`\n${sanitizeLine(req.reason)}\n`)
    for (;;) {
      output.write(describe(parsed, source, req.origin, req.subWorkflows))
      const answer = (await rl.question('Choose 1-5: ')).trim().toLowerCase()
      const yes = answer === '1' || answer === 'y' || answer === 'yes'
      if (yes || answer === '2') {
        rememberYes(req.mode, { ...subject, name: parsed.meta.name, source }, answer === '2')
        return { status: 'approved', source }
      }
      if (answer === '3') {
        output.write(`\n----- script -----\n${sanitizeForTerminal(source)}\n------------------\n`)
        for (const [n, s] of Object.entries(req.subWorkflows ?? {})) {
          output.write(`----- workflow ${sanitizeLine(n)} -----\n${sanitizeForTerminal(s)}\n------------------\n`)
        }
        continue
      }
      if (answer === '4') {
        const edited = editInEditor(source, output)
        if (edited === undefined) continue
        try {
          parsed = parseScript(edited)
          source = edited
        } catch (err) {
          output.write(`The edited script does not parse: ${(err as Error).message}\nKeeping the previous version.\n`)
        }
        continue
      }
      if (answer === '5' || answer === 'n' || answer === 'no' || answer === '') {
        return { status: 'denied', message: `The workflow "${parsed.meta.name}" was not approved; nothing ran.` }
      }
      output.write(`"${answer}" is not one of the choices.\n`)
    }
  } finally {
    rl.close()
  }
}

function describe(parsed: ParsedScript, source: string, origin: string, subs: Record<string, string> = {}): string {
  const m = parsed.meta
  const lines = [
    '',
    `Workflow: ${sanitizeLine(m.name)}  (${sanitizeLine(origin)})`,
    m.description ? `  ${sanitizeLine(m.description)}` : '',
    m.phases?.length ? `Phases: ${m.phases.map((p) => sanitizeLine(p.title)).join(' → ')}` : '',
    ...Object.entries(subs).map(([n, s]) => `Also runs workflow ${sanitizeLine(n)} (sha256 ${sha256(s).slice(0, 12)})`),
  ]
  const estimate = estimateAgents(source)
  if (estimate.unbounded || estimate.max > 25) {
    lines.push(
      estimate.unbounded
        ? 'Caution: this script starts agents in loops or callbacks, so it can start many (possibly more than 25); each uses tokens.'
        : `Caution: this script can start up to ${estimate.max} agents (more than 25); each uses tokens.`,
    )
  } else lines.push(`It starts at most about ${estimate.max} agent${estimate.max === 1 ? '' : 's'}.`)
  lines.push(
    '',
    `  1. Yes, run it`,
    `  2. Yes, and don't ask again for ${sanitizeLine(m.name)} in ${process.cwd()}`,
    `  3. View raw script`,
    `  4. Edit script`,
    `  5. No`,
    '',
  )
  return lines.filter((l, i) => l !== '' || i === 0 || lines[i - 1] !== '').join('\n') + '\n'
}

function editInEditor(source: string, output: NodeJS.WritableStream): string | undefined {
  const editor = process.env.VISUAL || process.env.EDITOR
  if (!editor) {
    output.write('Set $VISUAL or $EDITOR to edit the script.\n')
    return undefined
  }
  const file = join(mkdtempSync(join(tmpdir(), 'ocdw-edit-')), 'workflow.js')
  writeFileSync(file, source)
  const r = spawnSync(editor, [file], { stdio: 'inherit', shell: true })
  if (r.status !== 0) {
    output.write(`The editor exited with code ${r.status}; keeping the previous version.\n`)
    return undefined
  }
  return readFileSync(file, 'utf8')
}
