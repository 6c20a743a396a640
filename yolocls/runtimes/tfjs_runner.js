// yolocls tfjs runner: loads a TF.js graph model once, then answers batches over stdin/stdout.
//
// Usage: node tfjs_runner.js MODEL_DIR NODE_MODULES_PARENT [wasm|cpu]
// Protocol (little-endian). Request: uint32 N, H, W, C then N*H*W*C float32 (NHWC).
// Reply frame: int32 N, int32 K, then N*K float32 probabilities (N > 0); N = 0: K bytes of JSON (the hello
// sent once the model is ready); N = -1: K bytes of UTF-8 error text.
// stdout carries only frames: every console method is sent to stderr (tfjs prints banners).
'use strict';
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');

for (const k of ['log', 'info', 'warn', 'debug']) console[k] = console.error;

const [modelDir, nodeDir, backend = 'wasm'] = process.argv.slice(2);

function frame(n, payload) {
  const head = Buffer.alloc(8);
  head.writeInt32LE(n, 0);
  head.writeInt32LE(n > 0 ? payload.length / 4 / n : payload.length, 4);  // K: floats per row, or bytes
  process.stdout.write(Buffer.concat([head, payload]));
}

function fail(err) {
  frame(-1, Buffer.from(String(err && err.stack || err), 'utf8'));
}

// Pure @tensorflow/tfjs has no file:// loader in Node (that ships with tfjs-node): read the files ourselves.
function fileHandler(dir) {
  return {
    load: async () => {
      const mj = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const specs = [];
      const parts = [];
      for (const group of mj.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) parts.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(parts);
      return {
        modelTopology: mj.modelTopology, format: mj.format, generatedBy: mj.generatedBy,
        convertedBy: mj.convertedBy, signature: mj.signature, userDefinedMetadata: mj.userDefinedMetadata,
        modelInitializer: mj.modelInitializer, weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.length),
      };
    },
  };
}

async function main() {
  const req = createRequire(path.join(path.resolve(nodeDir), 'package.json'));
  const tf = req('@tensorflow/tfjs');
  if (backend === 'wasm') req('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend '${backend}' failed to initialise`);
  await tf.ready();
  const model = await tf.loadGraphModel(fileHandler(modelDir));
  const hello = {tfjs: tf.version.tfjs, backend: tf.getBackend(), node: process.version,
                 inputs: model.inputs.map((t) => ({name: t.name, shape: t.shape, dtype: t.dtype}))};
  frame(0, Buffer.from(JSON.stringify(hello), 'utf8'));

  let buf = Buffer.alloc(0);
  let busy = Promise.resolve();
  const handle = async (dims, body) => {
    try {
      const data = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
      const out = tf.tidy(() => {
        const y = model.execute(tf.tensor4d(data, dims));
        return (Array.isArray(y) ? y[0] : y).reshape([dims[0], -1]);
      });
      const probs = await out.data();
      out.dispose();
      frame(dims[0], Buffer.from(probs.buffer, probs.byteOffset, probs.byteLength));
    } catch (e) {
      fail(e);
    }
  };
  process.stdin.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 16) {
      const dims = [0, 4, 8, 12].map((o) => buf.readUInt32LE(o));
      const need = 16 + 4 * dims.reduce((a, b) => a * b, 1);
      if (buf.length < need) break;
      const body = buf.subarray(16, need);
      buf = buf.subarray(need);
      busy = busy.then(() => handle(dims, Buffer.from(body)));
    }
  });
  process.stdin.on('end', () => busy.then(() => process.exit(0)));
}

main().catch((e) => {
  fail(e);
  process.exitCode = 1;
});
