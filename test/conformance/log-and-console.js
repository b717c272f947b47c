// expect: "logged"
// parity: P-LOG-1 P-BEYOND-4
export const meta = { name: 'log-and-console' }
log('starting')
console.log('console works too', { n: 1 })
const r = await agent('anything')
log(`got ${r.length} characters`)
return 'logged'
