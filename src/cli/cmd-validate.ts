// `ocdw validate <script|name> [--args ...]`: check a workflow before spending a token: parse and meta checks, the
// static agent estimate, and a dry run against mock answers that prints the phases and agent calls it would make.
// Exit 0 when it is fine; exit 2 with the first problem.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { findWorkflow, workflowResolver } from '../actors/workflow-lookup.js'
import { DEFAULT_MAX_AGENTS } from '../actors/runtime.js'
import { parseScript } from '../script/meta.js'
import { sanitizeLine } from '../machines/sanitize.js'
import { UsageError } from './errors.js'
import { parseArgs, positiveInt } from './options.js'
import { estimateAgents } from '../script/estimate.js'
import { dryRun } from './dry-run.js'

/** A script path, or the name of a saved or bundled workflow. */
function readScript(projectDir: string, target: string): { source: string; origin: string } {
  const path = resolve(projectDir, target)
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new UsageError(`${target} is a directory; give the path of a .js workflow script.`)
    return { source: readFileSync(path, 'utf8'), origin: path }
  }
  if (/[/\\]|\.js$/.test(target)) throw new UsageError(`Cannot read the script ${target} (there is no such file); give the path of a .js workflow script.`)
  const w = findWorkflow(projectDir, target)
  return { source: w.source, origin: `${w.scope} workflow ${w.name}` }
}

const clip = (text: string, max: number) => {
  const one = sanitizeLine(text).replace(/\s+/g, ' ').trim()
  return one.length > max ? one.slice(0, max - 1) + '…' : one
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a workflow without spending tokens: parse, meta, agent estimate, dry run on mock answers')
    .argument('<script>', 'a .js workflow script, or the name of a saved or bundled workflow')
    .option('--args <json|text>', "the script's `args` for the dry run (JSON if it parses, else the text)")
    .option('--max-agents <n>', `stop the dry run past this many agents (default ${DEFAULT_MAX_AGENTS})`)
    .option('--json', 'print the findings as JSON on stdout')
    .action(async (target: string, flags: { args?: string; maxAgents?: string; json?: boolean }) => {
      const projectDir = process.cwd()
      const args = parseArgs(flags.args)
      const maxAgents = positiveInt(flags.maxAgents, '--max-agents') ?? DEFAULT_MAX_AGENTS
      const { source, origin } = readScript(projectDir, target)
      const parsed = parseScript(source) // a ScriptError (exit 2) names the line
      if (parsed.warnings.length) throw new UsageError(`${parsed.warnings[0]}`)
      const estimate = estimateAgents(source)
      const dry = await dryRun(parsed, { args, maxAgents, resolveWorkflow: workflowResolver(projectDir) })
      const problem =
        dry.tooMany !== undefined
          ? `The dry run asked for more than ${dry.tooMany} agents, so it was stopped; cap the fan-out in the script or raise --max-agents.`
          : dry.outcome.status === 'failed'
            ? `The dry run failed (with mock answers): ${dry.outcome.error}`
            : dry.outcome.status === 'stopped'
              ? 'The dry run was stopped before the script finished.'
              : dry.outcome.warnings[0]
      const phases = [...new Set(dry.calls.map((c) => c.phase))]
      if (flags.json) {
        process.stdout.write(
          JSON.stringify(
            {
              ok: !problem,
              problem: problem ?? null,
              meta: parsed.meta,
              estimate,
              phases,
              agents: dry.calls.map((c) => ({ key: c.key, phase: c.phase, label: c.opts.label ?? null, schema: Boolean(c.opts.schema), prompt: c.prompt })),
              gates: dry.gates,
              logs: dry.logs,
              result: dry.outcome.status === 'completed' ? dry.outcome.result : null,
            },
            null,
            2,
          ) + '\n',
        )
      } else {
        const out: string[] = []
        out.push(`workflow: ${clip(parsed.meta.name, 80)}${parsed.meta.description ? ` — ${clip(parsed.meta.description, 120)}` : ''} (${clip(origin, 120)})`)
        if (parsed.meta.phases?.length) out.push(`declared phases: ${parsed.meta.phases.map((p) => clip(p.title, 40)).join(', ')}`)
        out.push(`static estimate: ${estimate.unbounded ? `${estimate.max} agents outside loops, more in loops or callbacks (depends on the answers)` : `at most ${estimate.max} agents`}`)
        out.push('', 'dry run (mock answers, nothing sent to a model):')
        let phase: string | undefined
        dry.calls.forEach((c, i) => {
          if (c.phase !== phase) out.push(`  phase ${clip(c.phase, 40)}`)
          phase = c.phase
          out.push(`    ${String(i + 1).padStart(3)}. ${clip(c.opts.label ?? c.key, 40)}${c.opts.schema ? ' [schema]' : ''}: ${clip(c.prompt, 90)}`)
        })
        for (const g of dry.gates) out.push(`  gate (not run): ${clip(g, 100)}`)
        for (const l of dry.logs) out.push(`  log: ${clip(l, 110)}`)
        out.push('', `${dry.calls.length} agent calls in ${phases.length} phases (${phases.map((p) => clip(p, 40)).join(', ') || 'none'}); ${dry.gates.length} gates; no tokens spent.`)
        process.stdout.write(out.join('\n') + '\n')
      }
      if (problem) throw new UsageError(problem)
      if (!flags.json) process.stdout.write('OK: the script is valid.\n')
    })
}
