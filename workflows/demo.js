export const meta = {
  name: 'demo',
  description: 'A small three-phase workflow: plan topics, research them in parallel, review and summarise. Runs on any model; `ocdw demo` runs it on the offline model.',
  phases: [
    { title: 'Plan', detail: 'one agent lists the topics (structured output)' },
    { title: 'Research', detail: 'one agent per topic, in parallel' },
    { title: 'Review', detail: 'each finding is reviewed as soon as it is ready (pipeline)' },
    { title: 'Summarise' },
  ],
  args: 'optional subject (text); default: "how XState actors make workflows resumable"',
}

// Claude Code's semantics: agent() throws once the token budget is spent (or the agent cap is reached). This
// workflow treats such an agent like a failed one (null) and reports what it could not afford.
const agentOrNull = (prompt, opts) => agent(prompt, opts).catch((e) => { log(String(e && e.message ? e.message : e)); return null })

const subject = typeof args === 'string' && args.trim() ? args.trim() : 'how XState actors make workflows resumable'

phase('Plan')
const plan = await agentOrNull(`List 4 short topics to research about: ${subject}`, {
  label: 'plan topics',
  schema: {
    type: 'object',
    properties: { topics: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 5 } },
    required: ['topics'],
  },
})
const topics = plan?.topics?.length ? plan.topics : ['overview', 'details', 'risks']
log(`planned ${topics.length} topics`)

phase('Research')
const findings = await parallel(topics.map((topic, i) => () => agentOrNull(`Research topic ${i + 1} of "${subject}": ${topic}. Answer in two sentences.`, { label: `research ${i + 1}` })))

const reviewed = await pipeline(
  findings,
  (finding, _item, i) => finding && agentOrNull(`Review this finding for accuracy and say what is missing: ${finding}`, { label: `review ${i + 1}`, phase: 'Review' }),
)

phase('Summarise')
const summary = await agentOrNull(`Summarise these reviewed findings about ${subject} in one paragraph:\n${reviewed.filter(Boolean).join('\n')}`, { label: 'summary' })
return { subject, topics, summary, agents: 2 + topics.length * 2 }
