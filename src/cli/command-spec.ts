// Commands as data: a command's name, help text, arguments and options are one entry of a table in its
// command module, and one small function turns entries into commander commands. The help a user reads is
// then in one place to review, and the action handlers are small named functions beside the table.
import { Option, type Command } from 'commander';
import type { ContextFactory } from './context.js';

/** One flag, exactly as commander's `.option()` would take it. */
export interface OptionSpec {
  /** As commander writes them: `--seed <n>`, `--no-http`, `--input <file>`. */
  readonly flags: string;
  readonly description: string;
  readonly default?: unknown;
  /** How the help shows the default, when not as the value itself (`5s` for 5000 ms). */
  readonly defaultDescription?: string;
  /** Turns the text into the value (a bad value throws a UsageError naming the flag). */
  readonly parse?: (value: string, previous: never) => unknown;
  /** Allowed values; commander rejects any other (exit 2) and lists these in the help. */
  readonly choices?: readonly string[];
  /** The flag must be given (commander's `requiredOption`). */
  readonly required?: boolean;
}

/** A positional argument with a description (arguments without one can be written in `name`). */
export interface ArgumentSpec {
  /** `<day>` (required) or `[hour]` (optional). */
  readonly name: string;
  readonly description: string;
}

export interface CommandSpec {
  /** The name as commander's `.command()` takes it, optionally with undescribed arguments: `runs <dag>`. */
  readonly name: string;
  readonly description: string;
  readonly arguments?: readonly ArgumentSpec[];
  readonly options?: readonly OptionSpec[];
  readonly subcommands?: readonly CommandSpec[];
  /**
   * Runs the command: the positional arguments, then the parsed flags (commander's order). A group of
   * sub-commands has none.
   */
  readonly action?: (context: ContextFactory, ...args: never[]) => Promise<void> | void;
}

function toOption(spec: OptionSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.required) option.makeOptionMandatory();
  if (spec.choices) option.choices(spec.choices);
  if (spec.default !== undefined) option.default(spec.default, spec.defaultDescription);
  if (spec.parse) option.argParser(spec.parse as (value: string, previous: unknown) => unknown);
  return option;
}

/** Adds one command (and its sub-commands, in table order) to `parent`; returns it. */
export function addCommand(parent: Command, spec: CommandSpec, context: ContextFactory): Command {
  const command = parent.command(spec.name).description(spec.description);
  for (const a of spec.arguments ?? []) command.argument(a.name, a.description);
  for (const o of spec.options ?? []) command.addOption(toOption(o));
  const action = spec.action;
  if (action) command.action((...args: unknown[]) => action(context, ...(args as never[])));
  addCommands(command, spec.subcommands ?? [], context);
  return command;
}

/** Adds every command of a table to `parent`, in table order. */
export function addCommands(parent: Command, specs: readonly CommandSpec[], context: ContextFactory): void {
  for (const spec of specs) addCommand(parent, spec, context);
}
