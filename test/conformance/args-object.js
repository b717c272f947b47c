// expect: {"dir":"src","read":2}
// parity: P-SCRIPT-5
// args: {"dir":"src","limit":2}
export const meta = { name: 'args-object' }
const files = ['a', 'b', 'c'].slice(0, args.limit)
const out = await parallel(files.map((f) => () => agent(`read ${args.dir}/${f}`)))
return { dir: args.dir, read: out.length }
