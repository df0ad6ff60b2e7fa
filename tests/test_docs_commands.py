"""Docs that run: every ``lossbalance`` command shown in README.md and docs/*.md.

Each shell command of a fenced block (labelled ``bash``, ``sh``, ``shell``, ``console``
or not labelled) whose program is ``lossbalance`` (``.venv/bin/lossbalance``,
``python -m lossbalance``, after an optional ``$`` prompt; ``&&``, ``;`` and ``|``
split a line, ``\\`` continues it) is checked against the CLI:

* its subcommand path (``study pick``) exists;
* ``lossbalance <path> --help`` exits 0, and every ``--option`` the example uses is one
  of the subcommand's options and appears in that help;
* it has no more positional arguments than the subcommand takes;
* a few cheap commands (:data:`CHEAP`) run for real, in a temporary folder, when the
  example has no placeholder (``NAME``, ``G.npz``, ``[...]``).

So a renamed flag or subcommand, or an example left behind by a change, fails CI with
the file, line and command in the test id and message.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from lossbalance.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_FENCES = {"", "bash", "sh", "shell", "console", "text"}
#: Subcommand paths cheap enough to run for real (no training, no data).
CHEAP: set[tuple[str, ...]] = {
    ("version",),
    ("schedulers", "list"),
    ("schedulers", "show"),
    ("spec", "schema"),
}
_PROGRAM = re.compile(r"^(?:\S*/)?lossbalance$")
_PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*(?:\.[A-Za-z0-9.]+)?/?$|[<>\[\]]|\.\.\.")


@dataclass(frozen=True)
class DocCommand:
    """One ``lossbalance`` command of the docs: where, and its arguments."""

    where: str  # file:line
    text: str  # the command as written (without the prompt)
    args: tuple[str, ...]  # after the program name


def _segments(line: str) -> list[str]:
    """The commands of one shell line: split on ``&&``, ``||``, ``;`` and ``|``
    outside quotes."""
    out, cur, quote = [], "", ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (not cur or cur[-1].isspace()):
            break  # a comment
        elif line.startswith(("&&", "||"), i) or ch in ";|&":
            out.append(cur)
            cur = ""
            i += 2 if line.startswith(("&&", "||"), i) else 1
            continue
        cur += ch
        i += 1
    out.append(cur)
    return [s.strip() for s in out if s.strip()]


def _without_redirections(tokens: list[str]) -> list[str]:
    """``tokens`` less shell redirections (``> log``, ``2>&1``, ``>>log``)."""
    out: list[str] = []
    skip = False
    for token in tokens:
        if skip:
            skip = False
        elif re.fullmatch(r"\d*(>>?|<)", token):
            skip = True  # the file name follows
        elif not re.match(r"^\d*(>>?|<|&>)", token):
            out.append(token)
    return out


def _program_args(tokens: list[str]) -> list[str] | None:
    """The arguments after ``lossbalance`` / ``python -m lossbalance``, else None
    (``VAR=value``, ``env``, ``exec``, ``nohup``, ``time`` and shell keywords such as
    ``until`` in front are skipped)."""
    tokens = _without_redirections(tokens)
    while tokens and (
        re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", tokens[0])
        or tokens[0] in ("env", "exec", "nohup", "time", "until", "while", "if", "then", "do", "!")
    ):
        tokens = tokens[1:]
    if tokens and _PROGRAM.match(tokens[0]):
        return tokens[1:]
    if (
        len(tokens) >= 3
        and re.search(r"python[0-9.]*$", tokens[0])
        and tokens[1:3]
        == [
            "-m",
            "lossbalance",
        ]
    ):
        return tokens[3:]
    return None


def doc_commands(files: list[Path] = DOCS) -> list[DocCommand]:
    """Every ``lossbalance`` command in the shell blocks of ``files``."""
    found: list[DocCommand] = []
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        fence: str | None = None
        pending, start = "", 0
        for number, raw in enumerate(lines, 1):
            m = re.match(r"^\s*(```+|~~~+)\s*([\w-]*)", raw)
            if m:
                fence = m.group(2).lower() if fence is None else None
                pending = ""
                continue
            if fence not in SHELL_FENCES:
                continue
            line = raw.strip()
            if not pending:
                start = number
                line = re.sub(r"^\$\s+", "", line)
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            line, pending = pending + line, ""
            for segment in _segments(line):
                try:
                    tokens = shlex.split(segment)
                except ValueError:
                    continue
                args = _program_args(tokens)
                if args is not None:
                    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                    where = f"{name}:{start}"
                    found.append(DocCommand(where, segment, tuple(args)))
    return found


COMMANDS = doc_commands()


def _resolve(args: tuple[str, ...]) -> tuple[list[str], Any, Any, list[str]]:
    """Walk the command tree: (subcommand path, command, its context, the rest)."""
    cmd: Any = get_command(app)
    ctx = cmd.context_class(cmd, info_name="lossbalance")
    path: list[str] = []
    rest = list(args)
    while hasattr(cmd, "list_commands") and rest and not rest[0].startswith("-"):
        sub = cmd.get_command(ctx, rest[0])
        if sub is None:
            known = ", ".join(cmd.list_commands(ctx))
            raise AssertionError(
                f"`lossbalance {' '.join(path)}` has no subcommand {rest[0]!r} (known: {known})"
            )
        path.append(rest.pop(0))
        cmd = sub
        ctx = cmd.context_class(cmd, info_name=path[-1], parent=ctx)
    return path, cmd, ctx, rest


def _flags(rest: list[str]) -> list[str]:
    flags = []
    for token in rest:
        token = token.strip("[]")
        if re.match(r"^--?[A-Za-z]", token):
            flags.append(token.split("=", 1)[0])
    return flags


def test_the_docs_show_commands() -> None:
    """The extractor finds the examples (a broken one would pass every check below)."""
    texts = [c.text for c in COMMANDS]
    assert len(COMMANDS) >= 20, texts
    assert any(c.args[:2] == ("study", "run") for c in COMMANDS)
    assert any(c.where.startswith("README.md") for c in COMMANDS)


def test_extractor_reads_shell_lines(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "```bash\n"
        "$ lossbalance study pick --where 'a >= 1' # comment\n"
        "python3 -m venv .venv && .venv/bin/lossbalance data simulate \\\n"
        "    --patients 20 --out c.npz\n"
        "echo lossbalance run x | tee log\n"
        "```\n"
        "```python\nlossbalance run no.yaml\n```\n"
        "```\npython -m lossbalance version; OMP_NUM_THREADS=1 lossbalance report r\n```\n"
        "```sh\nCUDA_VISIBLE_DEVICES=$i exec lossbalance version > w$i.log 2>&1 &\n```\n"
    )
    found = [(c.where.rsplit(":", 1)[1], c.args) for c in doc_commands([doc])]
    assert found == [
        ("2", ("study", "pick", "--where", "a >= 1")),
        ("3", ("data", "simulate", "--patients", "20", "--out", "c.npz")),
        ("11", ("version",)),
        ("11", ("report", "r")),
        ("14", ("version",)),
    ]


def _check(command: DocCommand, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where = f"{command.where}: `lossbalance {' '.join(command.args)}`"
    try:
        path, cmd, ctx, rest = _resolve(command.args)
    except AssertionError as exc:
        raise AssertionError(f"{where}: {exc}") from None
    runner = CliRunner()
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    name = " ".join(["lossbalance", *path])
    assert result.exit_code == 0, f"{where}: `{name} --help` exits {result.exit_code}"
    help_text = result.output
    if hasattr(cmd, "list_commands"):
        if rest:  # e.g. `lossbalance study --help`; only options may follow a group
            assert all(t.startswith("-") for t in rest), f"{where}: `{name}` needs a subcommand"
        return

    def opts(hidden: bool) -> set[str]:
        return {
            o
            for p in cmd.params
            if bool(getattr(p, "hidden", False)) == hidden
            for o in (*p.opts, *p.secondary_opts)
            if o.startswith("-")
        }

    options, hidden = opts(False) | {"--help"}, opts(True)
    for flag in _flags(rest):
        what = "a hidden option (removed or deprecated)" if flag in hidden else "no option"
        assert flag in options, (
            f"{where}: `{name}` has {what} {flag} (its options: {', '.join(sorted(options))})"
        )
        assert flag in help_text, f"{where}: {flag} is missing from `{name} --help`"
    parser = cmd.make_parser(ctx)
    unbracketed = [t.strip("[]") for t in rest if t.strip("[]")]
    try:
        _, positional, _ = parser.parse_args(unbracketed)
    except Exception as exc:  # typer vendors click: its UsageError is not click's
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        raise AssertionError(f"{where}: {message}") from None
    arguments = [p for p in cmd.params if p.param_type_name == "argument"]
    if not any(p.nargs == -1 for p in arguments):
        capacity = sum(p.nargs for p in arguments)
        assert len(positional) <= capacity, (
            f"{where}: `{name}` takes {capacity} argument(s), the example gives "
            f"{len(positional)} ({' '.join(positional)})"
        )
    cheap = tuple(path) in CHEAP and not any(_PLACEHOLDER.search(t) for t in rest)
    if cheap:
        monkeypatch.chdir(tmp_path)
        run = runner.invoke(app, list(command.args))
        assert run.exit_code == 0, f"{where}: exits {run.exit_code}: {run.output[-500:]}"


@pytest.mark.parametrize("command", COMMANDS, ids=[c.where for c in COMMANDS])
def test_doc_command(command: DocCommand, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example's subcommand and options exist (see the module docstring)."""
    _check(command, tmp_path, monkeypatch)


def test_a_stale_example_fails_with_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = DocCommand("docs/x.md:3", "", ("study", "pick", "--maximise", "coherence"))
    with pytest.raises(AssertionError, match=r"docs/x.md:3: .* has no option --maximise"):
        _check(stale, tmp_path, monkeypatch)
    gone = DocCommand("docs/x.md:4", "", ("study", "pareto-front"))
    with pytest.raises(AssertionError, match=r"docs/x.md:4: .* has no subcommand 'pareto-front'"):
        _check(gone, tmp_path, monkeypatch)
    extra = DocCommand("docs/x.md:5", "", ("study", "pareto", "extra"))
    with pytest.raises(AssertionError, match=r"docs/x.md:5: .*(takes 0 argument|extra argument)"):
        _check(extra, tmp_path, monkeypatch)
