// expect: {"threw":true,"cap":true}
// parity: P-WF-4 P-LIMIT-1
// maxAgents: 3
export const meta = { name: 'nested-workflow-shares-cap' }
await agent('outer 1')
await workflow('inner', 'counted')
await agent('outer 2')
try {
  await agent('outer 3')
  return 'cap not shared'
} catch (e) {
  return { threw: true, cap: /cap of 3 agents/.test(e.message) }
}
