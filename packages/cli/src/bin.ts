#!/usr/bin/env node
import { main } from './main.js';

const code = await main(process.argv);
// The server command never resolves; everything else exits with its code once output is flushed.
process.exitCode = code;
