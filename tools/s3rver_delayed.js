// s3rver (a fake S3 written for Node) on 127.0.0.1 for tools/bench_remote_read.py, with a delay before each answer.
//
//   node --openssl-legacy-provider tools/s3rver_delayed.js
//
// prints the environment that points s3fs and TensorBoard at it, one JSON line; then each line "<seconds>" on
// stdin sets the delay and is answered "ok". (s3rver makes the continuation tokens of long listings with DES,
// which OpenSSL 3 keeps in its legacy provider.)
//
// The delay is a timer on Node's event loop: requests wait side by side, as they do on a distant store, and the
// server spends little CPU on the cores the reader needs (moto, threads under one interpreter lock, spends more).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const S3rver = require('s3rver');

let delayMs = 0;
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-bench-'));
const server = new S3rver({address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{name: 'bench'}]});
// first of the middleware, so every request waits, listings and errors included
server.middleware.unshift(async (ctx, next) => {
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  await next();
});

server.run().then(({port}) => {
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver's one account; AWS_ENDPOINT_URL_S3 points s3fs at it, S3_ENDPOINT TensorBoard
  console.log(JSON.stringify({AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: endpoint, S3_ENDPOINT: endpoint}));
  readline.createInterface({input: process.stdin})
    .on('line', (line) => { delayMs = parseFloat(line) * 1000; console.log('ok'); })
    .on('close', async () => {
      await server.close();
      fs.rmSync(directory, {recursive: true, force: true});
      process.exit(0);
    });
});
