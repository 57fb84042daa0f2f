"""nn.RNN / LSTM / GRU and the *Cell forms against PyTorch's own modules (weights copied,
float64: outputs, final states and every gradient within 1e-10), their state dicts, and the
``rnn``/``lstm``/``gru`` layers of a layer list."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar.engine import gradcheck
from telar.errors import ConfigError
from telar.nn.layer_net import build_sequential, count_parameters, on_flat_rows
from telar.nn.recurrent import FinalState

torch = pytest.importorskip("torch")

KINDS = ["RNN", "LSTM", "GRU"]


def twin(kind: str, *args, **kwargs):
    """A telar module and PyTorch's, same arguments, PyTorch's weights copied into telar's."""
    theirs = getattr(torch.nn, kind)(*args, **kwargs).double()
    mine = getattr(telar.nn, kind)(*args, **kwargs, dtype=np.float64)
    mine.load_state_dict(theirs.state_dict())
    return mine, theirs


def run_both(mine, theirs, kind, x, states):
    """Forward both on the same values, backward a random weighting of every output; the
    results and gradients as arrays, telar's then PyTorch's."""
    rng = np.random.default_rng(99)
    results = []
    for module, lib in ((mine, telar), (theirs, torch)):
        xt = lib.tensor(x, requires_grad=True)
        st = [lib.tensor(s, requires_grad=True) for s in states]
        hx = None if not st else (tuple(st) if kind == "LSTM" else st[0])
        out, final = module(xt, hx)
        finals = list(final) if kind == "LSTM" else [final]
        tensors = [out, *finals]
        loss = sum((t * lib.tensor(rng.normal(size=tuple(t.shape)))).sum() for t in tensors)
        loss.backward()
        as_np = [np.asarray(t.detach().numpy() if lib is torch else t.array) for t in tensors]
        grads = [np.asarray(t.grad) for t in (xt, *st)]
        grads += [np.asarray(p.grad) for p in module.parameters()]
        results.append(as_np + grads)
        rng = np.random.default_rng(99)
    return results


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("bidirectional", "batch_first", "with_states"),
                         [(False, False, True), (True, True, True), (True, False, False)])
def test_outputs_final_states_and_all_gradients_equal_pytorchs(kind, bidirectional, batch_first,
                                                                with_states):
    rng = np.random.default_rng(0)
    mine, theirs = twin(kind, 5, 4, num_layers=2, bidirectional=bidirectional,
                        batch_first=batch_first)
    x = rng.normal(size=(3, 6, 5))  # (N, T, I) with batch_first, else (T, N, I)
    batch = 3 if batch_first else 6
    shape = (2 * (2 if bidirectional else 1), batch, 4)
    states = [rng.normal(size=shape) for _ in range(2 if kind == "LSTM" else 1)] \
        if with_states else []
    got, want = run_both(mine, theirs, kind, x, states)
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_sequences_and_no_bias_equal_pytorchs(kind):
    mine, theirs = twin(kind, 3, 4, bias=False)
    got, want = run_both(mine, theirs, kind, np.random.default_rng(1).normal(size=(5, 3)), [])
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def test_relu_rnn_equals_pytorchs():
    mine, theirs = twin("RNN", 3, 4, num_layers=2, nonlinearity="relu")
    got, want = run_both(mine, theirs, "RNN", np.random.default_rng(2).normal(size=(5, 2, 3)), [])
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_give_pytorchs_next_state_and_gradients(kind):
    rng = np.random.default_rng(3)
    theirs = getattr(torch.nn, kind)(3, 4).double()
    mine = getattr(telar.nn, kind)(3, 4, dtype=np.float64)
    mine.load_state_dict(theirs.state_dict())
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    weights = rng.normal(size=(2, 2, 4))
    results = []
    for module, lib in ((mine, telar), (theirs, torch)):
        xt, ht, ct = (lib.tensor(a, requires_grad=True) for a in (x, h, c))
        out = module(xt, (ht, ct)) if kind == "LSTMCell" else module(xt, ht)
        outs = list(out) if kind == "LSTMCell" else [out]
        sum((o * lib.tensor(w)).sum() for o, w in zip(outs, weights, strict=False)).backward()
        leaves = (xt, ht, ct) if kind == "LSTMCell" else (xt, ht)
        results.append([np.asarray(o.detach().numpy() if lib is torch else o.array) for o in outs]
                       + [np.asarray(t.grad) for t in leaves]
                       + [np.asarray(p.grad) for p in module.parameters()])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def test_a_cell_without_a_state_starts_from_zeros_and_takes_one_sample():
    cell = telar.nn.GRUCell(3, 4, dtype=np.float64)
    x = np.random.default_rng(4).normal(size=3)
    np.testing.assert_allclose(cell(telar.tensor(x)).array,
                               cell(telar.tensor(x[None]), telar.zeros(1, 4).double()).array[0])


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_keys_and_shapes_are_pytorchs(kind):
    kwargs = dict(num_layers=3, bidirectional=True)
    mine = getattr(telar.nn, kind)(7, 5, **kwargs)
    theirs = getattr(torch.nn, kind)(7, 5, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in mine.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert "weight_hh_l2_reverse" in mine.state_dict()


def test_pytorchs_state_dict_loads_and_a_wrong_one_is_refused():
    theirs = torch.nn.LSTM(4, 3, num_layers=2)
    mine = telar.nn.LSTM(4, 3, num_layers=2)
    mine.load_state_dict(theirs.state_dict())
    np.testing.assert_array_equal(mine.weight_hh_l1.array, theirs.weight_hh_l1.detach().numpy())
    with pytest.raises(Exception, match="weight_ih_l0"):
        telar.nn.LSTM(5, 3, num_layers=2).load_state_dict(theirs.state_dict())


def test_default_init_is_uniform_within_one_over_root_hidden():
    lstm = telar.nn.LSTM(10, 64, num_layers=2, rng=0)
    values = np.concatenate([p.array.ravel() for p in lstm.parameters()])
    bound = 1 / np.sqrt(64)
    assert values.min() >= -bound and values.max() <= bound
    assert abs(values.std() - bound / np.sqrt(3)) < 0.01 * bound  # uniform's spread
    assert all(p.dtype == np.float32 for p in lstm.parameters())


def test_dropout_acts_between_layers_in_training_only():
    x = telar.tensor(np.random.default_rng(5).normal(size=(4, 2, 3)).astype(np.float32))
    lstm = telar.nn.LSTM(3, 8, num_layers=2, dropout=0.5, rng=0)
    plain = telar.nn.LSTM(3, 8, num_layers=2, rng=0)
    lstm.eval()
    np.testing.assert_array_equal(lstm(x)[0].array, plain(x)[0].array)
    lstm.train()
    assert not np.allclose(lstm(x)[0].array, plain(x)[0].array)


def test_dropout_with_one_layer_warns_as_pytorch_does():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        telar.nn.GRU(3, 4, dropout=0.2)


def test_a_multilayer_bidirectional_lstm_has_central_difference_gradients():
    lstm = telar.nn.LSTM(3, 2, num_layers=2, bidirectional=True, dtype=np.float64, rng=1)
    rng = np.random.default_rng(6)
    x = telar.tensor(rng.normal(size=(3, 2, 3)), requires_grad=True)
    h0 = telar.tensor(rng.normal(size=(4, 2, 2)), requires_grad=True)
    c0 = telar.tensor(rng.normal(size=(4, 2, 2)), requires_grad=True)

    def loss(x, h0, c0):
        out, (h_n, c_n) = lstm(x, (h0, c0))
        return (out * out).sum() + (h_n * c_n).sum()

    params = list(lstm.parameters())
    report = gradcheck(loss, [x, h0, c0], wrt=[x, h0, c0, *params], atol=1e-7, rtol=1e-5)
    assert report, report.table()


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda m: m(telar.zeros(2, 3, 6)), RuntimeError, "input.size\\(-1\\) must be equal"),
    (lambda m: m(telar.zeros(2, 3, 5), telar.zeros(1, 3, 4)), RuntimeError,
     "Expected hidden size"),
    (lambda m: m(telar.zeros(2, 2, 3, 5)), ValueError, "Expected input to be 2D or 3D"),
    (lambda m: m(telar.zeros(2, 3, 5).double()), ValueError,
     "input dtype \\(float64\\) does not match weight dtype \\(float32\\)"),
])
def test_inputs_that_do_not_fit_raise_pytorchs_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(telar.nn.GRU(5, 4, num_layers=2))


def test_bad_arguments_are_refused_up_front():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        telar.nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ConfigError, match="hidden_size: expected a positive integer, got 0"):
        telar.nn.LSTM(3, 0)
    with pytest.raises(ConfigError, match="proj_size"):
        telar.nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(RuntimeError, match="tuple \\(h_0, c_0\\)"):
        telar.nn.LSTM(3, 4)(telar.zeros(2, 1, 3), telar.zeros(1, 1, 4))


# ----------------------------------------------------------------- in a layer list
def test_lstm_layer_reads_an_image_row_by_row_and_returns_the_final_state():
    net = build_sequential(on_flat_rows("lstm(16) linear(10)"), (784,), seed=0,
                           dtype="float64")
    layer = net[1]
    assert isinstance(layer, FinalState) and net.shapes == [(1, 28, 28), (16,), (10,)]
    images = np.random.default_rng(7).random((3, 784))
    rows = images.reshape(3, 28, 28)  # (N, T, F): row t of each image is step t
    twin_lstm = telar.nn.LSTM(28, 16, batch_first=True, dtype=np.float64)
    twin_lstm.load_state_dict(layer.state_dict())
    _, (h_n, _) = twin_lstm(telar.tensor(rows))
    np.testing.assert_allclose(net[1](net[0](telar.tensor(images))).array, h_n.array[0],
                               atol=1e-14)


def test_bidirectional_layer_concatenates_both_directions_final_states():
    net = build_sequential("gru(8,layers=2,bidirectional=true) linear(10)", (28, 28), seed=0,
                           dtype="float64")
    x = np.random.default_rng(8).random((2, 28, 28))
    gru = telar.nn.GRU(28, 8, num_layers=2, bidirectional=True, batch_first=True,
                       dtype=np.float64)
    gru.load_state_dict(net[0].state_dict())
    _, h_n = gru(telar.tensor(x))
    want = np.concatenate([h_n.array[2], h_n.array[3]], axis=1)
    np.testing.assert_allclose(net[0](telar.tensor(x)).array, want, atol=1e-14)
    assert net.shapes[0] == (16,)


@pytest.mark.parametrize("layers", ["lstm(128) linear(10)", "gru(32,layers=2) linear(10)",
                                    "rnn(20,bidirectional=true,nonlinearity=relu) linear(10)",
                                    "lstm(8,layers=3,bidirectional=true,bias=false) linear(10)"])
def test_planned_parameter_count_equals_the_built_modules_and_pytorchs(layers):
    net = build_sequential(on_flat_rows(layers), (784,))
    assert count_parameters(net.layers, (784,)) == net.num_parameters()
    entry = net.layers[1]
    torch_kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[entry["layer"]]
    theirs = torch_kind(28, entry["hidden"], num_layers=entry.get("layers", 1),
                        bidirectional=entry.get("bidirectional", False),
                        bias=entry.get("bias", True))
    assert net[1].num_parameters() == sum(p.numel() for p in theirs.parameters())


def test_a_recurrent_layer_on_flat_rows_is_refused_with_a_hint():
    with pytest.raises(ConfigError, match="layer 1 'lstm\\(16\\)'.*unflatten"):
        build_sequential("lstm(16) linear(10)", (784,))
