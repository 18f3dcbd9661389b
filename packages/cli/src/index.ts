/**
 * `slipway` — the command line, and the config API its users write.
 *
 * @example
 * // slipway.config.ts
 * import { defineConfig } from "slipway"
 * export default defineConfig({ app: "hello", run: { command: ["node", "server.js"] } })
 */
export {
  ConfigInvalid,
  defineConfig,
  type LocalGate,
  loadConfig,
  type ResolvedConfig,
  resolveConfig,
  type SlipwayConfig,
} from "./Config.ts"
export { main, VERSION } from "./Main.ts"
