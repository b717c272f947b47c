// expect: {"topic":"caching","depth":2,"answered":"string"}
// parity: P-WF-1
export const meta = { name: 'nested-workflow-args' }
const sub = await workflow('with-args', { topic: 'caching', depth: 2 })
return sub
