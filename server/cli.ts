#!/usr/bin/env node
// avatar-server: parses flags and env, starts the server, prints `listening on http://HOST:PORT`, stops on SIGTERM/SIGINT.
import { checkConfigTargets, ConfigError, HELP, loadConfig, parseArgs } from './config.ts';

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(HELP);
    return;
  }
  const config = loadConfig(args.flags, process.env);
  const warning = await checkConfigTargets(config);
  if (warning) console.error(`avatar-server: warning: ${warning}`);
  // Loaded only now, so a configuration mistake is reported without first loading sharp and the database.
  const { startServer } = await import('./server.ts');
  const server = await startServer(config);
  console.log(`listening on ${server.url}`);
  if (config.dev) console.log(`dev mode: data in ${config.dataDir}; POST ${server.url}/v1/dev/token {"user_id"} for a token`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    server.close().then(() => process.exit(0), (err: unknown) => {
      console.error(`avatar-server: shutdown failed: ${String(err)}`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  // Configuration problems are one line naming the variable; anything else is unexpected and gets its stack.
  if (err instanceof ConfigError) console.error(`avatar-server: ${err.message}`);
  else console.error(`avatar-server: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
