// Runs a module of this package on a worker thread and resolves with the one message it posts. Built, the
// module is JavaScript beside its caller; under tsx (tests, benches) it is TypeScript, and a worker thread does
// not inherit tsx's loader, so it registers it before importing the module.
import { Worker } from 'node:worker_threads';

/** The URL of the sibling module `name` (without extension) of `callerUrl`, .ts under tsx and .js when built. */
export function siblingModule(callerUrl: string, name: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

function startWorker(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const code =
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })` +
    `.catch((err) => { process.nextTick(() => { throw err; }); });`;
  return new Worker(code, { eval: true, workerData });
}

/** Starts `url` with `workerData`; resolves with its first message, rejects if it fails or exits first. */
export function runModuleWorker<T>(url: URL, workerData: unknown, label: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(url, workerData);
    worker.once('message', (result: T) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${label}: thread exited with code ${code}`));
    });
  });
}
