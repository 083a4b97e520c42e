'use strict';
// `npm pack` (prepack): bundle the contract into the package, so a tarball
// works outside this repo: protos/retail/**.proto from the repo's protos/ and
// protos/google/rpc/{status,error_details}.proto from google-proto-files.
// postpack removes the copy again (`node copy-protos.js --clean`): in the
// repo, index.js reads ../../protos itself.
const fs = require('node:fs');
const path = require('node:path');

const out = path.join(__dirname, 'protos');
fs.rmSync(out, { recursive: true, force: true });
if (process.argv.includes('--clean')) process.exit(0);

const repoProtos = path.resolve(__dirname, '..', '..', 'protos');
fs.cpSync(path.join(repoProtos, 'retail'), path.join(out, 'retail'), {
  recursive: true,
  filter: (src) => fs.statSync(src).isDirectory() || src.endsWith('.proto'),
});
const google = path.dirname(require.resolve('google-proto-files/package.json'));
for (const name of ['status.proto', 'error_details.proto']) {
  fs.mkdirSync(path.join(out, 'google', 'rpc'), { recursive: true });
  fs.copyFileSync(path.join(google, 'google', 'rpc', name), path.join(out, 'google', 'rpc', name));
}
console.log(`bundled the protos into ${out}`);
