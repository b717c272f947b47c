// expect: "string"
// parity: P-AGENT-10
export const meta = { name: 'unknown-option-ignored' }
// Options ocdw does not know are ignored with a warning (the agent still runs).
const r = await agent('do the thing', { description: 'a Claude-only option', run_in_background: true })
return typeof r
