// expect: {"first":600,"second":400,"extra":"threw at the cap"}
// parity: P-LIMIT-1
export const meta = { name: 'max-agents-1001' }
// A large fan-out right at Claude Code's cap: 1,000 agents run, the 1,001st agent() throws.
const first = await parallel(Array.from({ length: 600 }, (_, i) => () => agent(`item ${i}`)))
const second = await pipeline(Array.from({ length: 400 }, (_, i) => i), (i) => agent(`more ${i}`))
let extra = 'ran'
try {
  await agent('the 1001st')
} catch (e) {
  extra = /cap of 1000 agents/.test(e.message) ? 'threw at the cap' : e.message
}
return { first: first.filter(Boolean).length, second: second.filter(Boolean).length, extra }
