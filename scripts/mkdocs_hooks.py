"""MkDocs hook: the ``telar`` commands' reference, generated from the argument parser itself.

``docs/reference/cli.md`` holds the marker ``<!-- telar-cli-reference -->``; at build time this
hook replaces it with one section per sub-command of :func:`telar.app.cli.build_parser` (in the
order ``telar --help`` lists them, nested ones such as ``telar data info`` included): its usage,
its description and a table of every option with its default. A sub-command or option added to
the parser appears in the site at the next build, so the page cannot drift from the code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

MARKER = "<!-- telar-cli-reference -->"
PRESETS_MARKER = "<!-- telar-presets-table -->"
_SRC = Path(__file__).resolve().parents[1] / "src"


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 (mkdocs API)
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, cli_reference())
    if PRESETS_MARKER in markdown:
        markdown = markdown.replace(PRESETS_MARKER, presets_table())
    return markdown


def _import_tree() -> None:
    if str(_SRC) not in sys.path:  # this tree's telar, whatever else is installed
        sys.path.insert(0, str(_SRC))


def presets_table() -> str:
    """Markdown table: every ``telar train`` setting, its default and each preset's value
    (from :data:`telar.app.runs.presets.PRESETS` and the defaults of ``TrainConfig``)."""
    _import_tree()
    import dataclasses

    from telar.app.runs.config import OPTION_NAMES, TrainConfig
    from telar.app.runs.presets import PRESETS

    names = list(PRESETS)
    default_preset = TrainConfig().preset
    rows = ["| option | " + " | ".join(f"`--preset {n}`" + (" (default)" if n == default_preset
                                                              else "") for n in names) + " |",
            "|---|" + "---|" * len(names)]
    for f in dataclasses.fields(TrainConfig):
        if f.name == "preset":
            continue
        default = getattr(TrainConfig(), f.name)
        cells = [_value(PRESETS[n].get(f.name, default)) for n in names]
        rows.append(f"| `{OPTION_NAMES[f.name]}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _value(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value == "" or value is None:
        return "—"
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    return f"`{_escape_cell(str(value))}`"


def cli_reference() -> str:
    """Markdown for every sub-command of the ``telar`` parser."""
    _import_tree()
    from telar.app.cli import build_parser

    parser = build_parser()
    parts = [_usage_block(parser, "telar")]
    for name, sub in _subcommands(parser):
        parts.append(_section(sub, f"telar {name}", level=2))
    return "\n\n".join(parts) + "\n"


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    """The sub-parsers of ``parser`` in the order they were added (aliases left out)."""
    found: list[tuple[str, argparse.ArgumentParser]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    found.append((name, sub))
    return found


def _section(parser: argparse.ArgumentParser, title: str, level: int) -> str:
    heading = "#" * level
    lines = [f"{heading} `{title}`", ""]
    if parser.description:
        lines += [_escape_text(parser.description), ""]
    lines.append(_usage_block(parser, title))
    rows = _option_rows(parser, _train_defaults() if title == "telar train" else {})
    if rows:
        lines += ["", "| argument | default | meaning |", "|---|---|---|", *rows]
    if parser.epilog:
        lines += ["", "```text", parser.epilog.strip(), "```"]
    text = "\n".join(lines)
    for name, sub in _subcommands(parser):
        text += "\n\n" + _section(sub, f"{title} {name}", level=min(level + 1, 4))
    return text


def _usage_block(parser: argparse.ArgumentParser, prog: str) -> str:
    formatter = argparse.HelpFormatter(prog=prog, width=96)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups,
                        prefix="")
    return "```text\n" + formatter.format_help().strip() + "\n```"


def _train_defaults() -> dict[str, object]:
    """``telar train``'s options default to the preset's values (the default preset's here):
    its parser leaves them unset so that a ``--config`` file can tell given from default."""
    import dataclasses

    from telar.app.runs.config import TrainConfig
    from telar.app.runs.presets import PRESETS

    config = TrainConfig()
    preset = PRESETS[config.preset]
    return {f.name: preset.get(f.name, getattr(config, f.name))
            for f in dataclasses.fields(TrainConfig)}


def _option_rows(parser: argparse.ArgumentParser,
                 preset_defaults: dict[str, object]) -> list[str]:
    formatter = parser._get_formatter()
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        if action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            metavar = formatter._format_args(action, action.dest.upper()) if action.nargs != 0 \
                else ""
            name = ", ".join(f"{s} {metavar}".strip() for s in action.option_strings)
        else:
            name = formatter._metavar_formatter(action, action.dest)(1)[0]
        meaning = formatter._expand_help(action) if action.help else ""
        default = _default(action)
        if default == "—" and action.dest in preset_defaults:
            value = preset_defaults[action.dest]
            default = _value(value)
            if action.dest != "preset" and default != "—":
                default += " (preset)"
        rows.append(f"| `{name}` | {default} | {_escape_cell(meaning)} |")
    return rows


def _default(action: argparse.Action) -> str:
    if action.required:
        return "(required)"
    if not action.option_strings:
        return "(required)" if action.nargs not in ("?", "*") else "—"
    if action.default is None or action.default == argparse.SUPPRESS:
        return "—"
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction) \
            or action.nargs == 0:
        return "off" if action.default in (False, None) else "on"
    return f"`{action.default}`"


def _escape_cell(text: str) -> str:
    return " ".join(_escape_text(text).split()).replace("|", "\\|")


def _escape_text(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")
