// expect: {"all":["answer: p1","answer: p2"],"then":"ANSWER: P3","settled":2}
// parity: P-SCRIPT-7
export const meta = { name: 'promise-methods' }
const all = await Promise.all([agent('p1'), agent('p2')])
const then = await agent('p3').then((t) => t.toUpperCase())
const settled = (await Promise.allSettled([agent('p4'), agent('p5')])).filter((r) => r.status === 'fulfilled').length
return { all, then, settled }
