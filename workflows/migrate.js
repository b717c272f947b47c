export const meta = {
  name: 'migrate',
  description: 'A migration in three phases: a survey agent lists the work items, each item is changed and checked by a quality gate (one retry with the gate output), and a final agent verifies and summarises.',
  whenToUse: 'A change that repeats over many files: port tests, rename an API, upgrade a dependency.',
  phases: [
    { title: 'Understand', detail: 'list the work items' },
    { title: 'Change', detail: 'one agent per item, then the gate; one retry on failure' },
    { title: 'Verify', detail: 'the whole gate and a summary' },
  ],
  args: 'the goal (text), or { goal, gate?: "npm test" (a shell command run through the OpenCode server after each item and at the end; {path} in it becomes the item\'s path), maxItems?: number (1-500, default 100) }. Honours --budget: items left when it is spent are reported as not done.',
}

// Claude Code's semantics: agent() throws once the token budget is spent (or the agent cap is reached). This
// workflow treats such an agent like a failed one (null) and reports what it could not afford.
const agentOrNull = (prompt, opts) => agent(prompt, opts).catch((e) => { log(String(e && e.message ? e.message : e)); return null })

const input = typeof args === 'string' ? { goal: args } : args && typeof args === 'object' ? args : {}
const goal = String(input.goal ?? '').trim()
if (!goal) throw new Error('migrate needs a goal: ocdw run --name migrate --args \'{"goal": "port the tests to vitest", "gate": "npm test"}\'')
const gateCommand = input.gate ? String(input.gate) : null
const maxItems = Math.max(1, Math.min(500, Number(input.maxItems) || 100))

const ITEMS = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, change: { type: 'string' } }, required: ['path', 'change'] },
    },
  },
  required: ['items'],
}

// Out of tokens? agent() then throws and agentOrNull() returns null; say so instead of blaming the model.
const budgetSpent = () => budget.total !== null && budget.remaining() === 0

phase('Understand')
const survey = await agentOrNull(
  `We are doing this migration: ${goal}\nSurvey the repository and list every work item: one file (path) per item and what must change in it. Do not change anything yet.`,
  { label: 'survey', schema: ITEMS },
)
if (survey === null) {
  throw new Error(
    budgetSpent()
      ? `The token budget of ${budget.total} was spent before the survey finished; nothing was changed. Run again with a larger --budget.`
      : 'The survey agent failed, so there are no work items and nothing was changed; see its error in `ocdw show` and run again.',
  )
}
const items = (survey.items ?? []).slice(0, maxItems)
log(`${items.length} work items`)

const oneLine = (text) => String(text).replace(/\s+/g, ' ').trim().slice(0, 300)
const gateFor = (item) => gateCommand.split('{path}').join(item.path)

const results = await pipeline(
  items,
  (item) =>
    agentOrNull(`Migration: ${goal}\nChange ${item.path}: ${item.change}\nEdit the file; keep the rest of the code working.`, {
      label: `change ${item.path}`,
      phase: 'Change',
    }),
  async (out, item) => {
    if (out === null) return { path: item.path, ok: false, attempts: 0, why: budgetSpent() ? 'skipped: the token budget is spent' : 'the change agent failed' }
    if (!gateCommand) return { path: item.path, ok: true, attempts: 1 }
    const command = gateFor(item)
    const first = await gate(command)
    if (first.ok) return { path: item.path, ok: true, attempts: 1 }
    log(`gate failed for ${item.path} (exit ${first.exitCode}); one retry with its output`)
    const retry = await agentOrNull(
      `Migration: ${goal}\nYour change to ${item.path} fails the check \`${command}\` (exit ${first.exitCode}):\n${first.output.slice(-4000)}\nFix ${item.path} so the check passes.`,
      { label: `retry ${item.path}`, phase: 'Change' },
    )
    const second = retry === null ? first : await gate(command)
    const why = second.ok
      ? undefined
      : retry === null && budgetSpent()
        ? `\`${command}\` exits ${first.exitCode} and the token budget is spent, so there was no retry`
        : `\`${command}\` still exits ${second.exitCode} after a retry: ${second.output.slice(-500)}`
    return { path: item.path, ok: second.ok, attempts: 2, ...(why ? { why } : {}) }
  },
)

phase('Verify')
const finalGate = gateCommand ? await gate(gateCommand.split('{path}').join('.')) : null
const summary = await agentOrNull(
  `Migration: ${goal}\nResults per item:\n${results.map((r, i) => `- ${items[i].path}: ${r?.ok ? 'done' : 'NOT done' + (r?.why ? ` (${r.why})` : '')}`).join('\n')}\n` +
    (finalGate ? `The final check \`${gateCommand}\` ${finalGate.ok ? 'passes' : 'fails:\n' + finalGate.output.slice(-2000)}\n` : '') +
    `Check the repository and summarise what was migrated, what is left and any risk, in a few lines.`,
  { label: 'verify' },
)
const outcome = {
  goal,
  done: results.filter((r) => r?.ok).map((r) => r.path),
  failed: results.map((r, i) => (r?.ok ? null : items[i].path)).filter(Boolean),
  items: results.map((r, i) => r ?? { path: items[i].path, ok: false, why: 'the item failed in the workflow' }),
  gate: finalGate ? { command: gateCommand, ok: finalGate.ok } : null,
  summary,
}
// A migration whose verification failed did not happen: end failed (exit 1) and say what failed, instead of
// returning a result that reads as "done". log() keeps each item's reason in the run log.
const problems = outcome.items.filter((r) => !r.ok).map((r) => `${r.path} (${oneLine(r.why ?? 'not done')})`)
if (finalGate && !finalGate.ok) problems.push(`the final check \`${gateCommand}\` exits ${finalGate.exitCode} (${oneLine(finalGate.output.slice(-300)) || 'no output'})`)
if (problems.length) {
  for (const p of problems) log(`not done: ${p}`)
  throw new Error(`The migration did not pass verification: ${outcome.done.length} of ${items.length} items done; failed: ${problems.join('; ')}.`)
}
return outcome
