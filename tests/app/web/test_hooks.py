"""The web app's two hooks, telar's own: an upload prepared as a light garment on black, and a
saliency map that matches central differences on both engines."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.pictures import photo

from telar.app.web.hooks import prepare_upload, saliency_map


def test_an_upload_of_a_light_photo_becomes_a_light_garment_on_black():
    image = prepare_upload(photo(1))
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert image[14, 14] > 200 and image[0, 0] < 40 and image[14, 2] < 40
    dark = prepare_upload(photo(1, light=False))
    assert dark[14, 14] > 200 and dark[0, 0] < 40


def test_the_saliency_of_both_engines_matches_central_differences(app, runs_dir):
    shelf = app.extensions["telar"].shelf
    image = prepare_upload(photo(7))
    for run in shelf.model_runs():
        predictor, _ = shelf.predictor(run)
        x = predictor.preprocess(image[None]).astype(np.float64)
        sal = saliency_map(predictor, image, 7)
        assert sal.shape == (28, 28) and sal.max() == pytest.approx(1.0)
        # check three pixels against an independent float64 central difference
        flat = sal.reshape(-1)
        top = np.argsort(flat)[-3:]
        scale = None
        for i in top:
            h = 1e-3
            up, down = x.copy(), x.copy()
            up[0, i] += h
            down[0, i] -= h
            g = (predictor.logits(up.astype(np.float32))[0, 7]
                 - predictor.logits(down.astype(np.float32))[0, 7]) / (2 * h)
            ratio = abs(g) / flat[i]
            scale = ratio if scale is None else scale
            assert ratio == pytest.approx(scale, rel=0.05), run.id
