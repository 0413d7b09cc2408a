import { parseArgs, type ParseArgsConfig } from 'node:util';

export type CliOptions = NonNullable<ParseArgsConfig['options']>;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export interface CliInvocation {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  io: CliIo;
  /** aborted on SIGINT/SIGTERM, for long-running commands (serve, monitor, soft-ioc) */
  signal: AbortSignal;
}

export interface CliCommand {
  /** the words after `burrow`, e.g. ['ca', 'get'] */
  path: readonly string[];
  summary: string;
  /** usage line after the command words, e.g. '<pv...> [-w seconds]' */
  usage?: string;
  /** extra help text: options explained, examples */
  help?: string;
  options?: CliOptions;
  /** resolves to the process exit code */
  run(invocation: CliInvocation): Promise<number>;
}

/** The set of `burrow` sub-commands: the platform's, the connectors' tools, and each app's own (`burrow <app> …`). */
export class CliRegistry {
  readonly #commands: CliCommand[] = [];

  add(command: CliCommand): void {
    if (this.find(command.path)?.command.path.join(' ') === command.path.join(' ')) {
      throw new Error(`duplicate CLI command: ${command.path.join(' ')}`);
    }
    this.#commands.push(command);
  }

  list(): readonly CliCommand[] {
    return [...this.#commands].sort((a, b) => a.path.join(' ').localeCompare(b.path.join(' ')));
  }

  /** the longest command path that prefixes argv, and the remaining arguments */
  find(argv: readonly string[]): { command: CliCommand; rest: string[] } | undefined {
    let best: CliCommand | undefined;
    for (const command of this.#commands) {
      const matches = command.path.every((word, i) => argv[i] === word);
      if (matches && (!best || command.path.length > best.path.length)) best = command;
    }
    return best && { command: best, rest: argv.slice(best.path.length) };
  }

  /** commands whose path starts with the given words (for `burrow ca --help`) */
  under(prefix: readonly string[]): CliCommand[] {
    return this.list().filter((c) => prefix.every((word, i) => c.path[i] === word));
  }

  helpFor(command: CliCommand): string {
    const lines = [`Usage: burrow ${command.path.join(' ')}${command.usage ? ` ${command.usage}` : ''}`, '', command.summary];
    const options = Object.entries(command.options ?? {});
    if (options.length) {
      lines.push('', 'Options:');
      for (const [name, opt] of options) {
        const flag = `${opt.short ? `-${opt.short}, ` : ''}--${name}${opt.type === 'string' ? ' <value>' : ''}`;
        lines.push(`  ${flag}`);
      }
    }
    if (command.help) lines.push('', command.help.trimEnd());
    return `${lines.join('\n')}\n`;
  }

  /** runs argv; prints help for --help/-h or unknown commands; returns the exit code */
  async run(argv: readonly string[], io: CliIo, signal: AbortSignal): Promise<number> {
    const found = this.find(argv);
    if (!found) {
      const words = argv.filter((a) => !a.startsWith('-'));
      const nested = words.length ? this.under(words.slice(0, 1)) : [];
      const wantsHelp = argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help';
      if (!wantsHelp && !nested.length) io.stderr.write(`burrow: unknown command '${argv.join(' ')}'\n\n`);
      io.stdout.write(this.overview(nested.length ? nested : this.list()));
      return wantsHelp ? 0 : 2;
    }
    const { command, rest } = found;
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(this.helpFor(command));
      return 0;
    }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
    } catch (err) {
      io.stderr.write(`burrow ${command.path.join(' ')}: ${(err as Error).message}\n\n${this.helpFor(command)}`);
      return 2;
    }
    return command.run({ values: parsed.values, positionals: parsed.positionals, io, signal });
  }

  overview(commands: readonly CliCommand[]): string {
    const width = Math.max(...commands.map((c) => c.path.join(' ').length), 8);
    const rows = commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
    return `Usage: burrow <command> [options]   (burrow <command> --help for details)\n\nCommands:\n${rows.join('\n')}\n`;
  }
}
