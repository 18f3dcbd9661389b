#!/usr/bin/env node
import { main } from "./Main.ts"

process.exitCode = await main(process.argv.slice(2))
