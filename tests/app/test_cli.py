"""The ``telar`` command's help and typo handling: every sub-command's help shows defaults and
ends with examples that parse; options are never abbreviated; a mistyped sub-command or option
gets the closest real one."""

from __future__ import annotations

import argparse
import shlex

import pytest
from helpers.cli_error import one_line_error

from telar.app.cli import SUBCOMMAND_MODULES, build_parser, main
from telar.app.runs.presets import PRESETS
from telar.version import __version__


def subcommand_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", SUBCOMMAND_MODULES)
def test_every_subcommands_help_ends_with_examples_that_parse(name):
    sub = subcommand_parsers()[name]
    help_text = sub.format_help()
    assert "examples:\n  telar " + name in help_text
    examples = [line.strip() for line in help_text.split("examples:\n", 1)[1].splitlines()]
    for example in filter(None, examples):
        words = shlex.split(example)
        assert words[:2] == ["telar", name]
        args = build_parser().parse_args(words[1:])  # exits with status 2 if it does not parse
        assert args.command == name and callable(args.func)


def test_train_help_shows_the_report_presets_values_as_defaults():
    help_text = " ".join(subcommand_parsers()["train"].format_help().split())
    report = PRESETS["report"]
    assert f"--epochs N number of epochs (default: {report['epochs']})" in help_text
    assert f"--lr LR learning rate (default: {report['lr']})" in help_text
    assert "(default: 64,32,16)" in help_text


def test_options_with_a_default_show_it_in_every_subcommand():
    help_text = " ".join(subcommand_parsers()["serve"].format_help().split())
    assert "--port PORT" in help_text and "(default: 8000)" in help_text


@pytest.mark.parametrize("argv, expected", [
    (["trian"], "invalid choice: 'trian' (choose from 'data', 'train',"),
    (["trian"], "; did you mean 'train'?"),
    (["train", "--epocs", "3"], "train: unrecognized arguments: --epocs 3; did you mean "
                                "--epochs?"),
    # no prefix matching: --epoch is not taken for --epochs
    (["train", "--epoch", "3"], "train: unrecognized arguments: --epoch 3; did you mean "
                                "--epochs?"),
    (["train", "--batchsize=64"], "did you mean --batch-size?"),
    (["data", "infoo"], "data: argument ACTION: invalid choice: 'infoo'"),
    (["data", "info", "--dat", "x"], "did you mean --data?"),
])
def test_a_mistyped_subcommand_or_option_names_the_closest_one(capsys, argv, expected):
    one_line_error(capsys, argv, expected)


def test_version_prints_telars_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"telar {__version__}"
