// expect: ["require:undefined","process:undefined","fetch:undefined","Buffer:undefined","setTimeout:undefined","module:undefined","__dirname:undefined"]
// parity: P-SCRIPT-4
export const meta = { name: 'no-node-globals' }
return ['require', 'process', 'fetch', 'Buffer', 'setTimeout', 'module', '__dirname'].map((g) => g + ':' + typeof globalThis[g])
