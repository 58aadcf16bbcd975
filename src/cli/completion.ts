/**
 * @module Shell completion for bash and zsh (through bashcompinit), generated from the command
 * tree itself so it never falls behind: subcommands by position, then that command's options.
 */
import type { Command } from 'commander';

interface Node {
  path: string;
  words: string[];
}

function walk(cmd: Command, path: string, into: Node[]): void {
  const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const options = cmd.options.flatMap((o) => [o.long, o.short].filter((x): x is string => Boolean(x)));
  into.push({ path, words: [...subs.map((c) => c.name()), ...options, '--help'] });
  for (const s of subs) walk(s, path ? `${path}/${s.name()}` : s.name(), into);
}

export function bashCompletion(program: Command): string {
  const nodes: Node[] = [];
  walk(program, '', nodes);
  const globals = program.options.flatMap((o) => [o.long].filter((x): x is string => Boolean(x)));
  const cases = nodes.map((n) => `    '${n.path}') words='${[...new Set([...n.words, ...(n.path ? globals : [])])].join(' ')}' ;;`).join('\n');
  const keys = nodes.map((n) => n.path).filter(Boolean).join(' ');
  return `# catalog completion for bash: source it, or save it as /etc/bash_completion.d/catalog
_catalog() {
  local cur=\${COMP_WORDS[COMP_CWORD]} key= i w words
  local keys=' ${keys} '
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    [[ $w == -* ]] && continue
    [[ $keys == *" \${key:+$key/}$w "* ]] && key=\${key:+$key/}$w
  done
  case $key in
${cases}
    *) words= ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  [[ \${#COMPREPLY[@]} -eq 0 && $cur != -* ]] && COMPREPLY=($(compgen -f -- "$cur"))
  return 0
}
complete -o filenames -F _catalog catalog
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef catalog
# catalog completion for zsh: save it as _catalog in a directory of your $fpath, or source it
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}
