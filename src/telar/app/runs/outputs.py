"""What a finished run writes: the model file, summary.json and the figures."""

from __future__ import annotations

from typing import Any

from telar.app.evaluation import Evaluation, evaluate
from telar.app.report.figures import plot_confusion_matrix, plot_curves
from telar.app.run_folder import RunFolder
from telar.app.runs.config import TrainConfig, network_label
from telar.app.runs.data import RunData
from telar.io.model_file import save_model
from telar.train import EarlyStopping, Trainer
from telar.train.tensorboard import TensorBoard
from telar.version import __version__

#: How a model's input is made from 28x28 uint8 images (stored in the model file).
PREPROCESSING = {"input_shape": [28, 28], "flatten": True, "scale": 1 / 255, "dtype": "float32",
                 "formula": "x = image.reshape(n, 784) / 255"}


def finish_run(config: TrainConfig, folder: RunFolder, trainer: Trainer,
               data: RunData) -> dict[str, Any]:
    """Test the final model; write model.npz, summary.json and the figures."""
    learner, state = trainer.learner, trainer.state
    test = evaluate(learner, data.x_test, data.y_test)
    save_model(folder.model_path, architecture=learner.spec(), arrays=learner.model_arrays(),
               class_names=data.class_names, preprocessing=PREPROCESSING,
               extra={"preset": config.preset, "engine": config.engine,
                      "trained_epochs": state.epoch, "test_accuracy": test.accuracy})
    history = state.history
    epoch_seconds = [row["seconds"] for row in history]
    summary: dict[str, Any] = {
        "test_accuracy": test.accuracy, "test_loss": test.loss,
        "epochs": state.epoch, "epochs_planned": config.epochs,
        "train_seconds": float(sum(epoch_seconds)), "epoch_seconds": epoch_seconds,
        "parameters": learner.num_parameters(),
        "preset": config.preset, "network": network_label(config.to_dict()),
        "engine": config.engine, "seed": config.seed,
        "eval_set": data.eval_name, "data_source": data.source,
        "stopped_early": bool(state.stopped), "stop_reason": state.stop_reason,
        "telar_version": __version__,
    }
    if data.eval_name == "val" and history:
        best = min(history, key=lambda r: r["val_loss"])
        summary.update(best_epoch=int(best["epoch"]), best_val_loss=best["val_loss"],
                       best_val_accuracy=best["val_accuracy"])
    for cb in trainer.callbacks:
        if isinstance(cb, EarlyStopping) and cb.restored_epoch is not None:
            summary["restored_best_epoch"] = cb.restored_epoch
    folder.write_summary(summary)
    write_figures(folder, history, test, data.class_names, trainer.eval_name)
    return summary


def write_figures(folder: RunFolder, history: list[dict[str, float]], test: Evaluation,
                  class_names: tuple[str, ...], eval_name: str) -> None:
    """Loss and accuracy curves (train vs val/test) and the test confusion matrix."""
    folder.figures_folder()  # never through a link out of the run folder
    if history:
        epochs = [int(r["epoch"]) for r in history]
        for what, label in (("loss", "cross-entropy loss"), ("accuracy", "accuracy")):
            plot_curves(epochs, {"train": [r[f"train_{what}"] for r in history],
                                 eval_name: [r[f"{eval_name}_{what}"] for r in history]},
                        folder.figure(what), ylabel=label, title=f"{what.capitalize()} "
                        f"per epoch")
    plot_confusion_matrix(test.confusion_matrix(len(class_names)), class_names,
                          folder.figure("confusion_matrix"),
                          title=f"Test set confusion matrix (accuracy {test.accuracy:.4f})")


#: The figures a run shows in TensorBoard (tag -> path in the run folder), when present.
TENSORBOARD_FIGURES = {"figures/confusion_matrix": "figures/confusion_matrix.png",
                       "figures/samples": "figures/report/samples.png",
                       "figures/misclassified": "figures/report/misclassified.png"}


def log_figures(board: TensorBoard, folder: RunFolder, step: int) -> list[str]:
    """Add the run's figures (:data:`TENSORBOARD_FIGURES`: the confusion matrix written by
    :func:`finish_run`, the report's samples and mistakes) to ``board`` at ``step`` (the last
    epoch); returns the tags written."""
    images = {tag: (folder.path / path).read_bytes()
              for tag, path in TENSORBOARD_FIGURES.items() if (folder.path / path).is_file()}
    board.add_images(images, step)
    return list(images)
