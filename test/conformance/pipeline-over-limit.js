// expect: {"caught":"limit","fine":4096,"last":8190}
// parity: P-LIMIT-2
export const meta = { name: 'pipeline-over-limit' }
let caught = ''
try {
  await pipeline(Array.from({ length: 5000 }, (_, i) => i), (x) => x)
} catch (e) {
  caught = /pipeline.*5000 items.*4096/.test(e.message) ? 'limit' : e.message
}
const fine = await pipeline(Array.from({ length: 4096 }, (_, i) => i), (x) => x * 2)
return { caught, fine: fine.length, last: fine[4095] }
