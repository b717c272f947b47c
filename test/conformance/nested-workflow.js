// expect: {"inner":{"got":"from outer","answer":"answer: inner work from outer"},"after":"answer: outer after"}
// parity: P-WF-1
export const meta = { name: 'nested-workflow' }
const inner = await workflow('inner', 'from outer')
const after = await agent('outer after')
return { inner, after }
