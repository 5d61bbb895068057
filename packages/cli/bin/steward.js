#!/usr/bin/env node
// Committed entry point so `npx steward` is linked at install time, before `tsc -b` has built dist/.
import '../dist/bin.js';
