/**
 * `burrow soft-ioc` and `burrow ca-repeater` as a child process for the interop tests, through the
 * same registry `burrow` uses, without depending on the rest of the CLI being registered.
 */
import { CliRegistry } from '../../../src/cli/registry.ts';
import { registerCaRepeaterCommand } from '../../../src/cli/commands/ca-repeater.ts';
import { registerSoftIocCommands } from '../../../src/cli/commands/soft-ioc.ts';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort(signal));
const registry = new CliRegistry();
registerSoftIocCommands(registry);
registerCaRepeaterCommand(registry);
process.exitCode = await registry.run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }, controller.signal);
