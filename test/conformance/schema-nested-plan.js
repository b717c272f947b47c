// expect: {"steps":true,"allDone":true,"risk":true}
// parity: P-AGENT-5 P-PIPE-2
// e2e
export const meta = { name: 'schema-nested-plan' }
const PLAN = {
  type: 'object',
  properties: {
    steps: { type: 'array', minItems: 2, maxItems: 4, items: { type: 'object', properties: { title: { type: 'string' }, files: { type: 'array', items: { type: 'string' } } }, required: ['title', 'files'] } },
    risk: { type: 'string', enum: ['low', 'high'] },
  },
  required: ['steps', 'risk'],
}
const plan = await agent('Plan the refactor as steps.', { schema: PLAN, label: 'plan' })
const done = await parallel(plan.steps.map((s, i) => () => agent(`Do step ${i + 1}: ${s.title} (files: ${s.files.join(', ')})`, { label: `step ${i + 1}` })))
return { steps: plan.steps.length >= 2 && plan.steps.length <= 4, allDone: done.every((d) => typeof d === 'string'), risk: ['low', 'high'].includes(plan.risk) }
