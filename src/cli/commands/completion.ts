import type { Command } from 'commander';
import { action, type CliIo } from '../context.js';
import { usageError } from '../exit-codes.js';

interface Node {
  /** Space-separated subcommand path, '' for `berth` itself. */
  path: string;
  subs: Array<{ name: string; description: string }>;
  options: Array<{ flag: string; description: string }>;
}

/** Every command path with its subcommands and options, read from the live command tree. */
export function commandTree(program: Command): Node[] {
  const nodes: Node[] = [];
  const visit = (command: Command, path: string): void => {
    const subs = command.commands.filter((c) => c.name() !== 'help');
    // Global options (--url, --token, --data-dir) are accepted after any subcommand too.
    const options = [...command.options, ...(command === program ? [] : program.options.filter((o) => o.long !== '--version'))]
      .flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)).map((flag) => ({ flag, description: o.description })));
    options.push({ flag: '--help', description: 'show help' });
    nodes.push({ path, subs: subs.flatMap((c) => [c.name(), ...c.aliases()].map((name) => ({ name, description: c.description() }))), options });
    for (const sub of subs) {
      for (const name of [sub.name(), ...sub.aliases()]) visit(sub, path ? `${path} ${name}` : name);
    }
  };
  visit(program, '');
  return nodes;
}

const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

export function bashCompletion(program: Command): string {
  const nodes = commandTree(program);
  const cases = nodes.map((n) => `    ${shellQuote(n.path)}) subs=${shellQuote(n.subs.map((s) => s.name).join(' '))}; opts=${shellQuote(n.options.map((o) => o.flag).join(' '))} ;;`).join('\n');
  return `# bash completion for berth; load with: source <(berth completion bash)
_berth_node() {
  case "$1" in
${cases}
    *) subs=''; opts='' ;;
  esac
}
_berth() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath='' w i subs opts
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    _berth_node "$cmdpath"
    if [[ " $subs " == *" $w "* ]]; then cmdpath="\${cmdpath:+$cmdpath }$w"; fi
  done
  _berth_node "$cmdpath"
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  fi
}
complete -F _berth berth
`;
}

export function zshCompletion(program: Command): string {
  const nodes = commandTree(program);
  const item = (name: string, description: string): string => shellQuote(`${name.replace(/:/g, '\\:')}:${description.replace(/\n/g, ' ')}`);
  const cases = nodes.map((n) => `    ${shellQuote(n.path)}) subs=(${n.subs.map((s) => item(s.name, s.description)).join(' ')}); opts=(${n.options.map((o) => item(o.flag, o.description)).join(' ')}) ;;`).join('\n');
  return `#compdef berth
# zsh completion for berth; load with: source <(berth completion zsh)
_berth_node() {
  case "$1" in
${cases}
    *) subs=(); opts=() ;;
  esac
}
_berth() {
  local cmdpath='' w i
  local -a subs opts names
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    [[ "$w" == -* ]] && continue
    _berth_node "$cmdpath"
    names=("\${(@)subs%%:*}")
    if (( \${names[(Ie)$w]} )); then cmdpath="\${cmdpath:+$cmdpath }$w"; fi
  done
  _berth_node "$cmdpath"
  if [[ "\${words[CURRENT]}" == -* ]]; then
    _describe -t options 'option' opts
  else
    _describe -t commands 'berth command' subs
  fi
}
if (( $+functions[compdef] )); then compdef _berth berth; fi
`;
}

/** `berth completion bash|zsh`: prints a completion script built from the command tree. */
export function registerCompletionCommand(program: Command, io: CliIo): void {
  program.command('completion <shell>')
    .description('Print a shell completion script (bash or zsh)')
    .addHelpText('after', '\nExamples:\n  source <(berth completion bash)            # this shell\n  berth completion bash > /etc/bash_completion.d/berth\n  berth completion zsh > "${fpath[1]}/_berth"')
    .action(action(io, async (ctx, [shell]) => {
      if (shell === 'bash') ctx.io.stdout.write(bashCompletion(program));
      else if (shell === 'zsh') ctx.io.stdout.write(zshCompletion(program));
      else throw usageError(`unknown shell "${shell}"`, 'use bash or zsh');
    }));
}
