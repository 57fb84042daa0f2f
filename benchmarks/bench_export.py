"""Export of the ``cnn`` preset's model, and ONNX Runtime's inference against telar's own.

1. Export time: ``telar export RUN --format onnx`` as a library call
   (:func:`telar.app.export.export_model`: the model file loaded, the network rebuilt, the graph
   built, checked with ``onnx.checker.check_model(full_check=True)`` and written), the first
   call (which imports onnx) and the median of the next ``--rounds``; and the command itself,
   three fresh processes (Python's start and every import included: ``import onnx`` alone
   loads ml_dtypes, about 0.7 s of CPU), wall and CPU time. Goal: under 2 s.
2. Inference, same model, same real test images (uint8, raw): telar's
   :class:`~telar.app.inference.Predictor` (preprocess, logits, softmax) against an
   ``onnxruntime.InferenceSession`` of the exported graph (preprocessing and softmax inside),
   ``--ort-threads`` intra-op threads (default 1, to match a pinned single-core telar). Batch 1
   (``--singles`` images one by one per round) and batch 1,000 (one call per round), the peers
   interleaved round by round; medians of images/s and the ratio ONNX Runtime / telar.

The model is the preset's network with its initial weights (training changes no operation
count); its outputs are checked to agree before timing.

    taskset -c 1 env OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_export.py \
        [--rounds 7] [--singles 200] [--ort-threads 1]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load_benchmark_data  # noqa: E402

from telar.app import architectures  # noqa: E402
from telar.app.export import export_model  # noqa: E402
from telar.app.inference import load_predictor  # noqa: E402
from telar.app.runs.outputs import PREPROCESSING  # noqa: E402
from telar.app.runs.presets import PRESETS  # noqa: E402
from telar.io.model_file import save_model  # noqa: E402
from telar.nn.layer_net import on_flat_rows  # noqa: E402

CLASSES = [str(i) for i in range(10)]


def write_cnn_model(folder: Path) -> Path:
    net = architectures.build({"kind": "layers", "layers": on_flat_rows(PRESETS["cnn"]["layers"]),
                               "input_shape": [784], "seed": 0})
    path = folder / "model.npz"
    save_model(path, architecture=net.architecture(), arrays=net.state_dict(),
               class_names=CLASSES, preprocessing=PREPROCESSING, sidecar=False)
    return path


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--singles", type=int, default=200)
    parser.add_argument("--ort-threads", type=int, default=1)
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    import onnxruntime

    _, _, test_x, _ = load_benchmark_data(args.data)
    images = np.rint(test_x * 255).astype(np.uint8).reshape(-1, 28, 28)
    with tempfile.TemporaryDirectory() as tmp:
        model = write_cnn_model(Path(tmp))
        out = Path(tmp) / "cnn.onnx"
        first = timed(lambda: export_model(model, "onnx", out, overwrite=True))
        exports = [timed(lambda: export_model(model, "onnx", out, overwrite=True))
                   for _ in range(args.rounds)]
        size = out.stat().st_size
        command = [sys.executable, "-m", "telar", "export", str(model), "--format", "onnx",
                   "--out", str(out), "--overwrite"]
        cli, cli_cpu = [], []
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            cli.append(timed(lambda: subprocess.run(command, check=True, capture_output=True)))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cli_cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = args.ort_threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(out.read_bytes(), options,
                                               providers=["CPUExecutionProvider"])
        predictor = load_predictor(model)

    def telar_probabilities(batch: np.ndarray) -> np.ndarray:
        return predictor.probabilities(predictor.preprocess(batch))

    def onnx_probabilities(batch: np.ndarray) -> np.ndarray:
        return session.run(["probabilities"], {"images": batch})[0]

    thousand = images[:1000]
    gap = np.abs(onnx_probabilities(thousand) - telar_probabilities(thousand)).max()
    singles = [images[i:i + 1] for i in range(1000, 1000 + args.singles)]
    peers = {"telar": telar_probabilities, "onnxruntime": onnx_probabilities}
    rates: dict[tuple[str, int], list[float]] = {(p, b): [] for p in peers for b in (1, 1000)}
    for _ in range(args.rounds):
        for name, fn in peers.items():
            rates[name, 1].append(args.singles / timed(lambda fn=fn: [fn(s) for s in singles]))
            rates[name, 1000].append(1000 / timed(lambda fn=fn: fn(thousand)))
    print(f"cnn preset model ({PRESETS['cnn']['layers']}), ONNX file {size / 1e6:.2f} MB")
    print(f"export (load model file, build, full check, write): first {first:.3f} s "
          f"(imports onnx), median of {args.rounds} {statistics.median(exports):.3f} s "
          f"[{min(exports):.3f} .. {max(exports):.3f}]  (goal < 2 s)")
    print(f"`telar export` command, a fresh process each (Python start, imports, export): "
          f"median of 3 {statistics.median(cli):.3f} s [{min(cli):.3f} .. {max(cli):.3f}], "
          f"CPU time (user + system) {statistics.median(cli_cpu):.3f} s")
    print(f"max |p_onnx - p_telar| on 1,000 test images: {gap:.2e}")
    print(f"{'batch':>6} {'telar img/s':>12} {'onnxruntime img/s':>18} {'ratio ort/telar':>16}")
    for b in (1, 1000):
        t, o = statistics.median(rates["telar", b]), statistics.median(rates["onnxruntime", b])
        print(f"{b:>6} {t:>12.0f} {o:>18.0f} {o / t:>16.2f}")
    print(f"medians of {args.rounds} interleaved rounds; onnxruntime intra-op threads "
          f"{args.ort_threads}, onnxruntime {onnxruntime.__version__}")


if __name__ == "__main__":
    main()
