// What every `hnet-server` subcommand provides; each server component registers one in cli.ts.
export interface Subcommand {
  /** One line for `hnet-server --help`. */
  summary: string;
  /** Runs with the arguments after the subcommand name; resolves to the exit code. */
  run(argv: readonly string[]): Promise<number>;
}
