import { auditExportCommand } from './auditExportCommand.ts';
import type { CliCommand } from './cliCommand.ts';
import { commandsSendCommand } from './commandsSendCommand.ts';
import { deviceHistoryCommand } from './deviceHistoryCommand.ts';
import { devicesSearchCommand } from './devicesSearchCommand.ts';
import { projectionsRebuildCommand } from './projectionsRebuildCommand.ts';
import { provisionCommand } from './provisionCommand.ts';
import { tokenCommand } from './tokenCommand.ts';

/** Every command of `fleet`, in the order `fleet --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  provisionCommand,
  devicesSearchCommand,
  deviceHistoryCommand,
  commandsSendCommand,
  auditExportCommand,
  projectionsRebuildCommand,
  tokenCommand,
];
