// expect: {"ok":4096,"over":"RangeError"}
// parity: P-LIMIT-2
export const meta = { name: 'fanout-at-limit' }
// 4,096 items is allowed; plain values stand in for agents so the check stays cheap.
const ok = await parallel(Array.from({ length: 4096 }, (_, i) => () => i))
let over = 'no error'
try {
  await parallel(Array.from({ length: 4097 }, (_, i) => () => i))
} catch (e) {
  over = e instanceof RangeError && /4097 items, over the limit of 4096/.test(e.message) ? 'RangeError' : e.message
}
return { ok: ok.length, over }
