// expect: {"got":"by path","answer":"answer: inner work by path"}
// parity: P-WF-3
export const meta = { name: 'nested-workflow-scriptpath' }
const r = await workflow({ scriptPath: 'inner.js' }, 'by path')
return r
