/**
 * `bootc-lab` starts here. A CLI that lints one file per process (a pre-commit hook, a CI step per
 * file) spends a quarter of its time compiling its own 2 MB bundle. This launcher compiles the
 * real CLI (`cli-main.js`, beside it) with a V8 code cache kept in the user's cache directory, the
 * way Node 22's `module.enableCompileCache()` does, which the Node 20 we support lacks.
 * Measured on a 2-line file: 0.29 s → 0.2 s. Everything here is best effort: any failure to read
 * or write the cache runs the CLI exactly as `require()` would. It imports only Node builtins.
 * `BOOTC_LAB_NO_CODE_CACHE=1` turns it off.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

const MAIN = path.join(__dirname, 'cli-main.js');
const PREFIX = 'cli-v8-';

function cacheDir(): string | undefined {
  const base = process.env.XDG_CACHE_HOME || (os.homedir() ? path.join(os.homedir(), '.cache') : '');
  return base ? path.join(base, 'bootc-lab') : undefined;
}

/** The cache is only valid for this exact bundle on this exact V8. */
function cacheFile(dir: string, stat: fs.Stats): string {
  const key = crypto
    .createHash('sha256')
    .update(`${process.version}\0${process.arch}\0${MAIN}\0${stat.size}\0${stat.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  return path.join(dir, `${PREFIX}${key}.bin`);
}

/** Writes atomically (two CLIs may finish at once) and removes caches of older bundles. */
function saveCache(dir: string, file: string, data: Buffer): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode: 0o600 });
  fs.renameSync(tmp, file);
  for (const name of fs.readdirSync(dir))
    if (name.startsWith(PREFIX) && path.join(dir, name) !== file && !name.endsWith('.tmp'))
      fs.rmSync(path.join(dir, name), { force: true });
}

interface CliModule {
  runCli: () => void;
}

function runPlain(): void {
  // A path known only at run time, outside the bundle, is what this launcher exists to load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require(MAIN) as CliModule).runCli();
}

function run(): void {
  // The CLI sets this first thing (see useBaselineWasmCompiler); V8 rejects a code cache made under
  // other flags, so set it before compiling, or every run would reject the cache and write it again.
  v8.setFlagsFromString('--liftoff-only');
  const dir = process.env.BOOTC_LAB_NO_CODE_CACHE ? undefined : cacheDir();
  if (!dir) return runPlain();
  let source: string;
  let file: string;
  try {
    source = fs.readFileSync(MAIN, 'utf8');
    file = cacheFile(dir, fs.statSync(MAIN));
  } catch {
    return runPlain();
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(file);
  } catch {
    cachedData = undefined;
  }
  // A shebang is not JavaScript inside the module wrapper; keep the line so positions still match.
  if (source.startsWith('#!')) source = `//${source.slice(2)}`;
  const script = new vm.Script(Module.wrap(source), { filename: MAIN, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    // At exit the cache also holds the functions this run compiled lazily, not only the top level.
    process.once('exit', () => {
      try {
        saveCache(dir, file, script.createCachedData());
      } catch {
        // A read-only or full home directory: the next run compiles again.
      }
    });
  }
  const mod = new Module(MAIN, module);
  mod.filename = MAIN;
  mod.paths = (Module as unknown as { _nodeModulePaths: (d: string) => string[] })._nodeModulePaths(__dirname);
  const req = ((id: string): unknown => mod.require(id)) as NodeJS.Require;
  req.resolve = ((request: string) => require.resolve(request, { paths: [__dirname] })) as NodeJS.RequireResolve;
  req.main = require.main;
  req.cache = require.cache;
  const wrapper = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: Module, f: string, d: string) => void;
  mod.loaded = true;
  wrapper.call(mod.exports, mod.exports, req, mod, MAIN, __dirname);
  (mod.exports as CliModule).runCli();
}

run();
