package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trustcheck/trustcheck/rules"
	"github.com/trustcheck/trustcheck/trustmodel"
)

// Shell completion: each shell's script asks `trustcheck __complete WORD...`
// (the words after "trustcheck", the one being completed last) and offers
// what it prints, one candidate a line; a last line ":files" or ":dirs"
// asks the shell to offer paths too. The knowledge stays here, in Go, for
// the three shells alike.

// completeCommand is the hidden command the scripts call.
const completeCommand = "__complete"

func completionCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name:      "completion",
			Usage:     "print the shell completion script: bash, zsh or fish",
			ArgsUsage: "bash|zsh|fish",
			Description: "bash:  source <(trustcheck completion bash)\n" +
				"zsh:   source <(trustcheck completion zsh)\n" +
				"fish:  trustcheck completion fish | source",
			Action: func(c *cli.Context) error {
				script, ok := completionScripts[c.Args().First()]
				if c.NArg() != 1 || !ok {
					return fmt.Errorf("completion takes one shell: bash, zsh or fish")
				}
				_, err := io.WriteString(c.App.Writer, script)
				return err
			},
		},
		{
			Name:            completeCommand,
			Hidden:          true,
			SkipFlagParsing: true,
			Action: func(c *cli.Context) error {
				words := c.Args().Slice()
				if len(words) == 0 {
					words = []string{""}
				}
				cands, paths := completions(c.App, words)
				var b strings.Builder
				for _, s := range cands {
					b.WriteString(s + "\n")
				}
				if paths != "" {
					b.WriteString(":" + paths + "\n")
				}
				_, err := io.WriteString(c.App.Writer, b.String())
				return err
			},
		},
	}
}

// completions are the candidates for the last of words, and "files",
// "dirs" or "" for the paths the shell should offer as well.
func completions(app *cli.App, words []string) (cands []string, paths string) {
	cur, before := words[len(words)-1], words[:len(words)-1]
	var cmd *cli.Command
	positional := 0
	for i := 0; i < len(before); i++ {
		a := before[i]
		switch {
		case a == "--":
			positional += len(before) - i - 1
			i = len(before)
		case isFlag(a):
			if takesValue(orLint(app, cmd), a) {
				i++
			}
		case cmd == nil && positional == 0 && visibleCommand(app, a) != nil:
			cmd = visibleCommand(app, a)
		default:
			positional++
		}
	}
	eff := orLint(app, cmd)
	if n := len(before); n > 0 && isFlag(before[n-1]) && takesValue(eff, before[n-1]) {
		vals, paths := flagValues(eff, strings.TrimLeft(before[n-1], "-"))
		return withPrefix(vals, cur), paths
	}
	if isFlag(cur) {
		var flags []string
		for _, f := range eff.Flags {
			flags = append(flags, "--"+f.Names()[0])
		}
		flags = append(flags, "--help")
		if cmd == nil {
			flags = append(flags, "--version")
		}
		return withPrefix(flags, cur), ""
	}
	if cmd == nil && positional == 0 {
		var names []string
		for _, c := range app.Commands {
			if !c.Hidden {
				names = append(names, c.Name)
			}
		}
		return withPrefix(names, cur), "files" // lint is the default: its files
	}
	switch eff.Name {
	case "explain":
		if positional == 0 {
			return withPrefix(ruleWords(), cur), ""
		}
		return nil, ""
	case "completion":
		if positional == 0 {
			return withPrefix([]string{"bash", "fish", "zsh"}, cur), ""
		}
		return nil, ""
	case "rules", "simulate":
		return nil, ""
	}
	return nil, "files"
}

func orLint(app *cli.App, cmd *cli.Command) *cli.Command {
	if cmd != nil {
		return cmd
	}
	return app.Command("lint")
}

func visibleCommand(app *cli.App, name string) *cli.Command {
	if c := app.Command(name); c != nil && !c.Hidden {
		return c
	}
	return nil
}

// flagValues are the values flag of cmd takes, and the paths it names.
func flagValues(cmd *cli.Command, flag string) ([]string, string) {
	switch flag {
	case "format":
		if cmd.Name == "lint" {
			return []string{"text", "json", "sarif", "github"}, ""
		}
		return []string{"text", "json"}, ""
	case "fail-on":
		return []string{"error", "warning", "info", "none"}, ""
	case "framework":
		if cmd.Name == "simulate" {
			return append(slices.Clone(trustmodel.Frameworks), "proxy-addr", "request-ip"), ""
		}
		return trustmodel.Frameworks, ""
	case "enable", "disable":
		return ruleWords(), ""
	case "app":
		return []string{"none"}, "files"
	case "batch":
		return []string{"-"}, "files"
	case "prefix", "p":
		return nil, "dirs"
	case "session-cookie-secure":
		return []string{"true", "false", "auto"}, ""
	case "session-proxy":
		return []string{"true", "false"}, ""
	}
	return nil, ""
}

// ruleWords are every rule's ID and kebab-case name.
func ruleWords() []string {
	var out []string
	for _, r := range rules.All() {
		out = append(out, r.ID)
	}
	for _, r := range rules.All() {
		out = append(out, r.Name)
	}
	return out
}

func withPrefix(words []string, prefix string) []string {
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, prefix) {
			out = append(out, w)
		}
	}
	return out
}

var completionScripts = map[string]string{
	"bash": `# trustcheck completion for bash: source <(trustcheck completion bash)
_trustcheck() {
    local cur=${COMP_WORDS[COMP_CWORD]} line paths=
    local -a cands=()
    while IFS= read -r line; do
        case $line in
            :files) paths=files ;;
            :dirs) paths=dirs ;;
            *) cands+=("$line") ;;
        esac
    done < <(trustcheck __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
    COMPREPLY=("${cands[@]}")
    case $paths in
        files) compopt -o filenames 2>/dev/null; while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -f -- "$cur") ;;
        dirs) compopt -o filenames 2>/dev/null; while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -d -- "$cur") ;;
    esac
}
complete -F _trustcheck trustcheck
`,
	"zsh": `#compdef trustcheck
# trustcheck completion for zsh: source <(trustcheck completion zsh)
_trustcheck() {
    local line paths=
    local -a cands
    for line in "${(@f)$(trustcheck __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}"; do
        case $line in
            :files) paths=files ;;
            :dirs) paths=dirs ;;
            ?*) cands+=("$line") ;;
        esac
    done
    (( ${#cands} )) && compadd -- "${cands[@]}"
    case $paths in
        files) _files ;;
        dirs) _files -/ ;;
    esac
}
if (( $+functions[compdef] )); then compdef _trustcheck trustcheck; fi
`,
	"fish": `# trustcheck completion for fish: trustcheck completion fish | source
function __trustcheck_complete
    set -l words (commandline -opc) (commandline -ct)
    set -e words[1]
    for line in (trustcheck __complete $words 2>/dev/null)
        switch $line
            case :files
                __fish_complete_path (commandline -ct)
            case :dirs
                __fish_complete_directories (commandline -ct)
            case '*'
                echo $line
        end
    end
end
complete -c trustcheck -f -a '(__trustcheck_complete)'
`,
}
