// Bottleneck's light build (no Redis clustering) is the one the Octokit plugins import: importing
// it too keeps a single Bottleneck in the bundle. It has the full build's API, and so its types.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck'
  export default Bottleneck
}
