// expect: {"blocked":["Date.now: blocked","new Date: blocked","Math.random: blocked"],"fixed":2026}
// parity: P-SCRIPT-3
export const meta = { name: 'no-clock-no-random' }
const blocked = []
for (const [name, f] of [['Date.now', () => Date.now()], ['new Date', () => new Date()], ['Math.random', () => Math.random()]]) {
  try { f(); blocked.push(name + ': allowed') } catch (e) { blocked.push(name + ': ' + (/resume replays/.test(e.message) ? 'blocked' : e.message)) }
}
// A fixed date is fine: it is the same on every replay.
const fixed = new Date('2026-01-02T00:00:00Z').getUTCFullYear()
return { blocked, fixed }
