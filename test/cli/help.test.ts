/** `--help` on every command shows an example; completion scripts complete from the real command tree. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/catalog.js';
import { runCli } from './support.js';

vi.setConfig({ testTimeout: 120_000 });

function every(cmd: Command, path: string[] = []): Array<{ path: string[]; cmd: Command }> {
  return [{ path, cmd }, ...cmd.commands.flatMap((c) => every(c, [...path, c.name()]))];
}

it('every command’s help has a description and an example', () => {
  const program = buildProgram();
  for (const { path, cmd } of every(program)) {
    expect(cmd.description(), path.join(' ')).not.toBe('');
    let help = '';
    cmd.configureOutput({ writeOut: (s) => (help += s) });
    cmd.outputHelp();
    // addHelpText('after') is printed by the help event: emitted by outputHelp
    expect(help, path.join(' ')).toMatch(/Examples?:\n {2}\$ .*catalog /);
  }
});

it('the real process prints help with exit 0 and completes commands and options in bash', async () => {
  const help = await runCli(['blob', 'download', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('$ catalog blob download images');

  const script = await runCli(['completion', 'bash']);
  expect(script.code).toBe(0);
  const file = join(tmpdir(), `catalog-completion-${process.pid}.bash`);
  writeFileSync(file, script.stdout);
  const complete = (line: string) => {
    const words = line.split(' ');
    return execFileSync('bash', ['-c', `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _catalog; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' })
      .trim()
      .split('\n');
  };
  expect(complete('catalog ar')).toEqual(['artifact']);
  expect(complete('catalog artifact ')).toEqual(expect.arrayContaining(['create', 'show', 'list', 'update', 'delete', 'activate', 'publish']));
  expect(complete('catalog --json blob down')).toEqual(['download']);
  expect(complete('catalog artifact create --')).toEqual(expect.arrayContaining(['--file', '--activate', '--publish', '--json', '--profile']));

  const zsh = await runCli(['completion', 'zsh']);
  expect(zsh.stdout).toMatch(/^#compdef catalog\n/);
  expect(zsh.stdout).toContain('bashcompinit');
  expect((await runCli(['completion', 'fish'])).code).toBe(2);
});
