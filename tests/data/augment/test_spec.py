"""``AugmentSpec``: the ``--augment`` text and the config table, round trips, one-line errors."""

from __future__ import annotations

import dataclasses
import tomllib

import pytest

from telar.data.augment import OPS, SETTINGS, AugmentError, AugmentSpec, augment_help
from telar.errors import ConfigError


def test_text_with_every_op_gives_each_its_strength():
    spec = AugmentSpec.parse("shift=2,flip,rotate=10,erase=0.5,brightness=0.2,contrast=0.3")
    assert spec == AugmentSpec(shift=2, flip=0.5, rotate=10.0, erase=0.5, brightness=0.2,
                               contrast=0.3)
    assert spec.active == ("rotate", "shift", "flip", "brightness", "contrast", "erase")
    assert isinstance(spec.shift, int) and isinstance(spec.rotate, float)


def test_a_bare_name_takes_the_registrys_default_strength():
    spec = AugmentSpec.parse("shift,flip,rotate,erase,brightness,contrast")
    for name, op in OPS.items():
        assert getattr(spec, name) == op.default


@pytest.mark.parametrize("text", ["none", "", "  ", " none "])
def test_none_and_empty_text_mean_no_augmentation(text):
    assert AugmentSpec.parse(text) == AugmentSpec() and AugmentSpec().active == ()


def test_spaces_plus_signs_zero_strengths_and_settings_are_understood():
    spec = AugmentSpec.parse(" shift = 3 + flip , rotate=0, rotate_mode=nearest,erase_fill=noise")
    assert spec == AugmentSpec(shift=3, flip=0.5, rotate_mode="nearest", erase_fill="noise")
    assert spec.active == ("shift", "flip")


def test_a_config_table_parses_like_the_text(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[augment]\nshift = 2\nflip = 0.5\nrotate = 10\nerase = true\n"
                    "brightness = false\nerase_fill = \"noise\"\n")
    table = tomllib.loads(path.read_text())["augment"]
    assert AugmentSpec.parse(table) == AugmentSpec.parse("shift=2,flip,rotate=10,erase,"
                                                         "erase_fill=noise")


@pytest.mark.parametrize("spec", [
    AugmentSpec(),
    AugmentSpec(shift=1, flip=0.25),
    AugmentSpec(rotate=12.345678901234, erase=1 / 3, erase_fill="noise"),
    AugmentSpec(rotate_mode="nearest"),
    AugmentSpec(**{name: op.default for name, op in OPS.items()}),
])
def test_to_text_and_to_dict_round_trip_exactly(spec):
    assert AugmentSpec.parse(spec.to_text()) == spec
    assert AugmentSpec.parse(spec.to_dict()) == spec
    assert tomllib.loads("".join(f"{k} = {v!r}\n".replace("'", '"')
                                 for k, v in spec.to_dict().items())) == spec.to_dict()


def test_to_text_lists_ops_in_application_order_with_short_numbers():
    assert AugmentSpec.parse("flip,rotate=10.0,shift=2").to_text() == "rotate=10,shift=2,flip=0.5"
    assert AugmentSpec().to_text() == "none"


@pytest.mark.parametrize("text, message", [
    ("rotat", "--augment: unknown augmentation 'rotat' (did you mean rotate?)"),
    ("shift,flp", "--augment: unknown augmentation 'flp' (did you mean flip?)"),
    ("zoom=2", "--augment: unknown augmentation 'zoom' (choose from rotate, shift, flip, "
               "brightness, contrast, erase, rotate_mode, erase_fill)"),
    ("rotate=400", "--augment: rotate: expected an angle in [0, 180] degrees, got 400"),
    ("rotate=-5", "--augment: rotate: expected an angle in [0, 180] degrees, got -5"),
    ("rotate=nan", "--augment: rotate: expected an angle in [0, 180] degrees, got nan"),
    ("shift=2.5", "--augment: shift: expected a whole number of pixels in [0, 14], got 2.5"),
    ("shift=15", "--augment: shift: expected a whole number of pixels in [0, 14], got 15"),
    ("flip=1.5", "--augment: flip: expected a probability in [0, 1], got 1.5"),
    ("erase=abc", "--augment: erase: cannot read 'abc' as a number"),
    ("brightness=2", "--augment: brightness: expected a factor in [0, 1], got 2"),
    ("rotate=", "--augment: rotate needs a value after '='"),
    ("shift,,flip", "--augment: empty item in 'shift,,flip'"),
    ("shift,", "--augment: empty item in 'shift,'"),
    ("shift=1,shift=2", "--augment: shift is given twice"),
    ("none,flip", "--augment: 'none' cannot be combined with other augmentations"),
    ("rotate_mode=cubic", "--augment: rotate_mode: expected one of bilinear, nearest, got 'cubic'"),
    ("erase_fill", "--augment: erase_fill needs a value: zero or noise"),
])
def test_each_bad_text_gets_one_line_naming_the_bad_item(text, message):
    with pytest.raises(AugmentError) as caught:
        AugmentSpec.parse(text)
    assert str(caught.value) == message


@pytest.mark.parametrize("table, message", [
    ({"rotate": 400}, "[augment]: rotate: expected an angle in [0, 180] degrees, got 400"),
    ({"rotat": 10}, "[augment]: unknown augmentation 'rotat' (did you mean rotate?)"),
    ({"shift": [1, 2]}, "[augment]: shift: expected a whole number of pixels in [0, 14], "
                        "got [1, 2]"),
    ({"erase_fill": 0}, "[augment]: erase_fill: expected one of zero, noise, got 0"),
])
def test_each_bad_table_entry_gets_one_line_naming_it(table, message):
    with pytest.raises(AugmentError) as caught:
        AugmentSpec.parse(table, where="[augment]")
    assert str(caught.value) == message


def test_a_spec_built_directly_is_checked_too_and_errors_are_config_errors():
    with pytest.raises(AugmentError, match=r"^AugmentSpec: rotate: expected an angle in "
                                           r"\[0, 180\] degrees, got 400$"):
        AugmentSpec(rotate=400)
    assert issubclass(AugmentError, ConfigError) and issubclass(AugmentError, ValueError)
    with pytest.raises(AugmentError, match="got int"):
        AugmentSpec.parse(3)


def test_the_spec_fields_the_registry_and_the_help_name_the_same_things():
    fields = {f.name: f.default for f in dataclasses.fields(AugmentSpec)}
    assert list(fields) == [*OPS, *SETTINGS]  # the registry's order is the application order
    assert all(fields[name] == 0 for name in OPS)
    assert all(fields[name] == s.default for name, s in SETTINGS.items())
    assert all(AugmentSpec.parse(name).active == (name,) for name in OPS)  # defaults are valid
    help_text = augment_help()
    assert all(name in help_text for name in [*OPS, *SETTINGS])


def test_each_strength_is_checked_by_a_constraint_and_probabilities_by_the_shared_one():
    from telar.constraints import PROBABILITY, Constraint

    assert all(isinstance(op.strength, Constraint) for op in OPS.values())
    assert OPS["flip"].strength is PROBABILITY and OPS["erase"].strength is PROBABILITY
    assert OPS["rotate"].requirement == "an angle in [0, 180] degrees"
    assert AugmentSpec.parse("shift=3.0").shift == 3 and AugmentSpec.parse({"flip": 1}).flip == 1.0
