#!/usr/bin/env node
// Entry point of the `aarch64-emu` command (see src/cli.ts).
import { main } from '../dist/cli.js';

process.exitCode = main(process.argv.slice(2));
