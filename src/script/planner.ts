// The planner's words and checks (pure): the prompt that asks a model to write a workflow script for a task, and
// the validation of its answer. The I/O (an OpenCode session, bounded retries) lives in src/cli/plan.ts.
import { parseScript, type ParsedScript } from './meta.js'

export const SCRIPT_API_REFERENCE = `You write ocdw workflow scripts: JavaScript run in a sandbox as the body of an async function.
Shape:
  export const meta = { name: 'kebab-name', description: '...', phases: [{ title: 'Survey' }, { title: 'Change' }, { title: 'Verify' }] }
  // meta MUST be the first statement and a pure literal (no calls, no variables).
  phase('Survey')
  const out = await agent('prompt', { label: 'short label', schema: { type: 'object', properties: {...}, required: [...] } })
  ...
  return { ...json result... }
Globals:
  agent(prompt, opts?) -> Promise of the final text, or the parsed object when opts.schema (JSON Schema) is given; null when the agent failed or was stopped. It throws only when the budget is spent or the run's agent cap is reached (inside parallel/pipeline that slot becomes null).
    opts: label, phase, schema, model ('provider/model' or an alias: 'haiku', 'sonnet', 'opus'), effort, agentType (an OpenCode agent; 'Explore', 'general-purpose', 'Plan' work too), isolation: 'worktree', timeoutMs.
  parallel([() => agent(...), ...]) -> runs thunks concurrently, waits for all; a throwing thunk gives null. At most 4,096 items per parallel or pipeline call.
  pipeline(items, stage1, stage2, ...) -> each item flows through the stages independently; a stage gets (prev, item, index); a throwing stage drops the item to null.
  phase(title) sets the phase for later agents; log(message) writes to the run log; args is the run's input; budget.total (a value, or null) / budget.spent() / budget.remaining() (functions) in output tokens; remaining() is Infinity without a budget.
  workflow(name, args) runs a saved workflow inline. vote(question, { voters, critic }), review(claims, { rounds }), gate(command) -> { ok, exitCode, output }.
Rules: no Date.now(), new Date(), Math.random(), require, import, fs, network or timers. Keep intermediate results in variables, not in prompts you do not need. Prefer structured output (schema) where later code uses the answer. Give every agent a short label. Each agent is a fresh OpenCode session with tools (read, edit, bash...): its prompt must say everything it needs.`

export interface PlannerContext {
  task: string
  savedWorkflows: { name: string; description?: string }[]
  limits: { concurrency: number; maxAgents: number; budget: number | null }
}

export function plannerPrompt(ctx: PlannerContext): string {
  const saved = ctx.savedWorkflows.length
    ? `Saved workflows you may call with workflow(name, args):\n${ctx.savedWorkflows.map((w) => `- ${w.name}: ${w.description ?? ''}`).join('\n')}`
    : 'There are no saved workflows.'
  return [
    SCRIPT_API_REFERENCE,
    '',
    saved,
    `Limits: up to ${ctx.limits.concurrency} agents run at once; at most ${ctx.limits.maxAgents} agents per run${ctx.limits.budget ? `; a budget of ${ctx.limits.budget} tokens` : ''}. Keep the workflow proportionate to the task.`,
    '',
    `Task: ${ctx.task}`,
    '',
    'Answer with the complete script in one ```js code block and nothing else.',
  ].join('\n')
}

/** Takes the script out of a model's answer: the first fenced code block, else the whole text. */
export function extractScript(answer: string): string {
  const fence = /```(?:js|javascript|mjs|ts)?[ \t]*\n([\s\S]*?)```/.exec(answer)
  return (fence ? fence[1] : answer).trim() + '\n'
}

export type PlanCheck = { ok: true; source: string; parsed: ParsedScript } | { ok: false; source: string; problems: string }

/** Validates a planner answer: syntax, meta literal, phases used. The problems go back to the model verbatim. */
export function checkPlannedScript(answer: string): PlanCheck {
  const source = extractScript(answer)
  try {
    const parsed = parseScript(source)
    if (parsed.warnings.length) return { ok: false, source, problems: parsed.warnings.join('\n') }
    if (!/\bagent\s*\(|\bworkflow\s*\(|\bvote\s*\(|\breview\s*\(/.test(source)) {
      return { ok: false, source, problems: 'The script starts no agent; a workflow must call agent() (or workflow/vote/review).' }
    }
    return { ok: true, source, parsed }
  } catch (err) {
    return { ok: false, source, problems: (err as Error).message }
  }
}

export function retryPrompt(problems: string): string {
  return `That script is not valid:\n${problems}\nFix it and answer with the complete corrected script in one \`\`\`js code block.`
}
