#!/usr/bin/env node
// Entry point of the `orderflow` command: runs the compiled CLI (built by `npm ci` through `prepare`).
import { main } from '../dist/cli/main.js';

// `orderflow predict all | head -2`: the reader went away, which is not a failure of orderflow. Exit quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

process.exitCode = await main(process.argv);
// Shutdown is bounded: a close abandoned because Redis or PostgreSQL was unreachable may still hold a socket
// or timer open, and must not keep the process alive once the command is done. (Unref'd: a process with
// nothing left open exits at once, as usual.)
setTimeout(() => process.exit(), 1000).unref();
