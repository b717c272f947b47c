// expect: {"ok":2,"nulls":1,"caught":false}
// parity: P-AGENT-6 P-PAR-2
export const meta = { name: 'nulls-from-failures' }
let caught = false
let out = []
try {
  out = await parallel([() => agent('fine 1'), () => agent('FAIL this one'), () => agent('fine 2')])
} catch {
  caught = true
}
return { ok: out.filter((x) => x !== null).length, nulls: out.filter((x) => x === null).length, caught }
