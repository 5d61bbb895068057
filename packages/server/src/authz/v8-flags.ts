/**
 * Imported before the Cedar WASM module. Node 20's V8 (11.3) miscompiles JS -> WebAssembly call
 * inlining in TurboFan for the wasm-bindgen glue of @cedar-policy/cedar-wasm: about every other
 * process that authorizes a few hundred distinct requests died in the deoptimizer ("Fatal error:
 * unreachable code", Deoptimizer::DoComputeBuiltinContinuation). Turning that one optimization off
 * stops it (0 crashes in many runs); later V8 versions (Node 22+) do not need it.
 */
import v8 from 'node:v8';

if (Number(process.versions.node.split('.')[0]) < 22) v8.setFlagsFromString('--no-turbo-inline-js-wasm-calls');
