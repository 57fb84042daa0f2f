"""telar.load_predictor: any model file or run folder, ready to predict on uint8 images; and
telar.load on a model file points to it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import telar
from telar.errors import ModelFileError

RUNS = Path(__file__).resolve().parents[1] / "fixtures" / "main-runs"


@pytest.mark.parametrize("run", ["report", "mlp", "layers"])
def test_a_loaded_predictor_names_each_images_class_batch_or_single(run):
    model = telar.load_predictor(RUNS / run)
    images = np.random.default_rng(0).integers(0, 256, (6, 28, 28), dtype=np.uint8)
    probs = model.predict_proba(images)
    assert probs.shape == (6, 10) and np.allclose(probs.sum(axis=1), 1)
    expected = model.probabilities(model.preprocess(images)).argmax(axis=1)
    assert model.predict(images) == [model.class_names[i] for i in expected]
    assert model.predict(images[2]) == model.class_names[expected[2]]  # one image: one name
    assert np.allclose(model.predict_proba(images[2]), probs[2])
    same = telar.load_predictor(RUNS / run / "model.npz")  # the file itself, or its folder
    assert same.predict(images) == model.predict(images)


def test_telar_load_on_a_model_file_names_the_function_that_reads_it():
    with pytest.raises(ModelFileError, match=r"a trained model .*telar\.load_predictor\(path\)"):
        telar.load(RUNS / "mlp" / "model.npz")
