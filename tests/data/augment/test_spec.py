"""``AugmentSpec``: the ``--augment`` text and the config table, round trips, one-line errors;
and the ``Augmenter`` it makes: seeded, order-fixed, shape- and dtype-preserving
(``make_augment`` as before)."""

from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import pytest

from telar.data.augment import (
    OPS,
    SETTINGS,
    Augmenter,
    AugmentError,
    AugmentSpec,
    augment_help,
    make_augment,
    random_flip,
    random_rotation,
    random_shift,
)
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


# ----------------------------------------------------------------------------------- the augmenter


EVERYTHING = "shift=2,flip,rotate=10,erase=0.5,brightness=0.2,contrast=0.2"


def batch(shape=(16, 784), dtype=np.float32, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape).astype(dtype)


def test_the_same_seed_gives_the_same_batch_and_another_seed_another():
    augment, x = Augmenter(EVERYTHING), batch()
    a = augment(x, np.random.default_rng(5))
    assert np.array_equal(a, augment(x, np.random.default_rng(5)))
    assert not np.array_equal(a, augment(x, np.random.default_rng(6)))
    assert not np.array_equal(a, x)


@pytest.mark.parametrize("shape", [(8, 784), (8, 28, 28), (8, 1, 28, 28), (8, 3, 28, 28)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_layout_and_float_dtype_comes_back_as_it_went_in(shape, dtype):
    out = Augmenter(EVERYTHING + ",erase_fill=noise")(batch(shape, dtype), np.random.default_rng(1))
    assert out.shape == shape and out.dtype == dtype
    assert out.min() >= 0 and out.max() <= 1


def test_flat_rows_and_nchw_images_get_the_same_augmentation():
    augment, x = Augmenter(EVERYTHING), batch((8, 784))
    flat = augment(x, np.random.default_rng(2))
    nchw = augment(x.reshape(8, 1, 28, 28), np.random.default_rng(2))
    np.testing.assert_array_equal(flat.reshape(8, 1, 28, 28), nchw)


def test_non_square_rows_need_their_image_shape():
    x = batch((4, 6))
    out = Augmenter("shift=1,rotate=5", image_shape=(2, 3))(x, np.random.default_rng(0))
    assert out.shape == (4, 6)
    with pytest.raises(ValueError, match="not square"):
        Augmenter("shift=1")(x, np.random.default_rng(0))


def test_integer_images_are_refused():
    with pytest.raises(TypeError, match="floating-point"):
        Augmenter("shift")(np.zeros((2, 784), np.uint8), np.random.default_rng(0))


def test_ops_run_in_registry_order_whatever_order_the_text_gives():
    x = batch()
    out = Augmenter("flip=0.5,shift=1,rotate=20")(x, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    expected = random_flip(random_shift(random_rotation(x, rng, 20.0), rng, 1), rng, 0.5)
    np.testing.assert_array_equal(out, expected)
    assert list(OPS)[:3] == ["rotate", "shift", "flip"]


def test_an_empty_augmenter_returns_the_batch_itself_and_draws_nothing():
    x, rng = batch(), np.random.default_rng(4)
    assert Augmenter("none")(x, rng) is x
    assert rng.random() == np.random.default_rng(4).random()


def test_make_augment_keeps_the_old_names_and_their_exact_draws():
    x = batch()
    rng = np.random.default_rng(5)
    expected = random_flip(random_shift(x, rng, 2), rng, 0.5)
    np.testing.assert_array_equal(make_augment("shift+flip")(x, np.random.default_rng(5)),
                                  expected)
    assert make_augment("none") is None
    assert make_augment("shift=2,flip,rotate=10") is not None
    with pytest.raises(ValueError, match="unknown augmentation 'zoom'"):
        make_augment("zoom")


@pytest.mark.parametrize("n", [0, 1])
def test_an_empty_or_single_image_batch_goes_through_every_op(n):
    out = Augmenter(EVERYTHING + ",erase_fill=noise")(batch((n, 784)), np.random.default_rng(0))
    assert out.shape == (n, 784)
