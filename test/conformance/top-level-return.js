// expect: "early"
// parity: P-SCRIPT-1
// args: "stop early"
export const meta = { name: 'top-level-return', phases: [{ title: 'Only' }] }
phase('Only')
if (args === 'stop early') return 'early'
await agent('never reached')
return 'late'
