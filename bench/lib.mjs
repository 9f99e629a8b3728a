// lib.mjs - what the Node benchmarks share: their --flag value arguments and the stepwise
// binary they measure (--bin, else STEPWISE_BIN, else ./build/stepwise), refused when it is
// missing or a sanitizer build (exit 2).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** { name: value } of the --name value pairs of argv. */
export function benchArgs(argv = process.argv.slice(2)) {
    return Object.fromEntries(argv.reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
}

/** The release binary to measure; `who` names the script in the error. */
export function benchBinary(args, who) {
    const bin = args.bin || process.env.STEPWISE_BIN || path.join(root, 'build', 'stepwise');
    if (!fs.existsSync(bin)) {
        console.error(`${who}: no stepwise binary at ${bin} (build it, or pass --bin)`);
        process.exit(2);
    }
    let ldd = '';
    try {
        ldd = execFileSync('ldd', [bin], { encoding: 'utf8' });
    } catch {
        /* not a dynamic binary: not a sanitizer build either */
    }
    if (/libasan|libubsan/.test(ldd)) {
        console.error(`${who}: ${bin} is a sanitizer build; use a Release or RelWithDebInfo one`);
        process.exit(2);
    }
    return bin;
}
