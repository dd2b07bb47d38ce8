import { parentPort, workerData } from 'node:worker_threads';
import { syntaxFindings } from '../../core/src/lint/syntax';

/** dockerfile-utils' validation of one text, off the CLI's main thread (see syntaxInWorker in main.ts). */
parentPort?.postMessage(syntaxFindings(String(workerData)));
