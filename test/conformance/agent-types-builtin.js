// expect: [true,true,true]
// parity: P-AGENT-1
// e2e
export const meta = { name: 'agent-types-builtin', phases: [{ title: 'Explore' }, { title: 'Plan' }, { title: 'Do' }] }
phase('Explore')
const map = await agent('Find where the config is loaded.', { agentType: 'Explore', label: 'explore' })
phase('Plan')
const plan = await agent(`Plan a change to config loading given: ${map}`, { agentType: 'Plan', label: 'plan' })
phase('Do')
const done = await agent(`Carry out this plan: ${plan}`, { agentType: 'general-purpose', label: 'do' })
return [map, plan, done].map((x) => typeof x === 'string' && x.length > 0)
