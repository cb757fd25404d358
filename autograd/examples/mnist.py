"""Train a small multilayer perceptron on handwritten digits (or clothing) and evaluate it.

    python -m autograd.examples.mnist                  # offline, on the bundled digits
    python -m autograd.examples.mnist --dataset fashion-mnist --epochs 5

The model is 784 -> 128 (ReLU) -> 10, trained with Adam on the cross-entropy
of its logits.  Pixels are scaled to [0, 1] and normalised by the data set's
mean and standard deviation.

Data sets (``--dataset``):

* ``mnist-sample`` (default): the real MNIST test set (10,000 digits) that
  ships with the package, split by ``--seed`` into 8,000 training and 2,000
  held-out images.  Needs no network.
* ``mnist``: the full 60,000 / 10,000 MNIST files, from ``--data-dir``, the
  cache directory (``$AUTOGRAD_DATA``, default ``~/.cache/autograd``) or
  ``--download``.
* ``fashion-mnist``: 60,000 / 10,000 Fashion-MNIST images, also found in
  Debian's ``dataset-fashion-mnist`` package.

Each epoch shows a progress bar (loss, throughput) on stderr and prints the
held-out loss and accuracy; at the end come a summary line, per-class
precision / recall / F1 with macro averages, and the confusion matrix.
``--save`` writes a checkpoint (``ag.save``), ``--plot`` a PNG of the curves.
"""

import argparse
import importlib.util
import os
import sys
import time
from typing import NamedTuple

import numpy

import autograd as ag
from autograd import metrics
from autograd import random as ag_random
from autograd import nn
from autograd.data import DataLoader, FashionMNIST, MNIST, TensorDataset, bundled_data_dir
from autograd.nn import functional as F

DATASETS = ("mnist-sample", "mnist", "fashion-mnist")
#: per-data-set pixel mean and standard deviation (of the training images, in [0, 1])
NORMALISATION = {"mnist": (0.1307, 0.3081), "fashion-mnist": (0.2860, 0.3530)}
SAMPLE_TRAIN_SIZE = 8000
#: batches between progress-bar refreshes (reading the loss back is the costly part on a GPU)
PROGRESS_EVERY = 50
EVAL_BATCH_SIZE = 2000


class Data(NamedTuple):
    """Training and held-out arrays (float32 ``(N, 784)`` images, int64 labels) and their story."""

    train_images: numpy.ndarray
    train_labels: numpy.ndarray
    test_images: numpy.ndarray
    test_labels: numpy.ndarray
    description: str
    test_name: str
    class_names: tuple


def _normalise(images, dataset):
    mean, std = NORMALISATION[dataset]
    flat = images.reshape(len(images), -1).astype(numpy.float32)
    # (x / 255 - mean) / std, folded into one scale and one shift
    flat *= numpy.float32(1.0 / (255.0 * std))
    flat -= numpy.float32(mean / std)
    return flat


def load_data(dataset="mnist-sample", data_dir=None, download=False, seed=0):
    """Load and preprocess a data set for the example.

    Args:
        dataset: ``"mnist-sample"``, ``"mnist"`` or ``"fashion-mnist"``.
        data_dir: where to look for (and download) the IDX files; ``None``
            uses the cache directory.
        download: fetch missing files from the mirrors.
        seed: the seed of the sample's training / held-out split.

    Returns:
        :class:`Data`.  Raises ``FileNotFoundError`` saying how to get a
        missing data set.

    Example::

        >>> data = load_data("mnist-sample", seed=0)
        >>> data.train_images.shape, data.test_images.shape
        ((8000, 784), (2000, 784))
    """
    if dataset == "mnist-sample":
        full = MNIST(root=bundled_data_dir(), train=False)
        images = _normalise(full.data, "mnist")
        ag.manual_seed(seed)
        order = ag_random.generator().permutation(len(full))
        train_part, held_out = order[:SAMPLE_TRAIN_SIZE], order[SAMPLE_TRAIN_SIZE:]
        description = (f"MNIST sample bundled with autograd: the real 10,000-image MNIST test set, "
                       f"split at random (seed {seed}) into {len(train_part):,} training and "
                       f"{len(held_out):,} held-out images")
        return Data(images[train_part], full.targets[train_part], images[held_out],
                    full.targets[held_out], description,
                    f"{len(held_out):,} held-out images", tuple(str(c) for c in range(10)))
    if dataset not in ("mnist", "fashion-mnist"):
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    kind = MNIST if dataset == "mnist" else FashionMNIST
    train = kind(root=data_dir, train=True, download=download)
    test = kind(root=data_dir, train=False, download=download)
    name = "MNIST" if dataset == "mnist" else "Fashion-MNIST"
    description = (f"{name}: {len(train):,} training images ({os.path.dirname(train.images_file)}), "
                   f"evaluated on the {len(test):,}-image test set")
    class_names = tuple(str(c) for c in range(10)) if dataset == "mnist" else kind.classes
    return Data(_normalise(train.data, dataset), train.targets, _normalise(test.data, dataset),
                test.targets, description, f"{len(test):,} test images", tuple(class_names))


def build_model(hidden=128, num_inputs=784, num_classes=10):
    """The seed's model: ``Linear(784, hidden) -> ReLU -> Linear(hidden, 10)``, logits out."""
    return nn.Sequential(nn.Linear(num_inputs, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))


def evaluate(model, images, labels, batch_size=EVAL_BATCH_SIZE):
    """Mean cross-entropy, accuracy and predicted labels of ``model`` on tensors ``images``, ``labels``."""
    was_training = model.training
    model.eval()
    total_loss = 0.0
    predictions = []
    n = images.shape[0]
    with ag.no_grad():
        for start in range(0, n, batch_size):
            logits = model(images[start:start + batch_size])
            target = labels[start:start + batch_size]
            total_loss += F.cross_entropy(logits, target, reduction="sum").item()
            predictions.append(logits.argmax(dim=1).cpu().numpy())
    model.train(was_training)
    predicted = numpy.concatenate(predictions)
    true = labels.cpu().numpy()
    return total_loss / n, metrics.accuracy(true, predicted), predicted


def _progress_bar(total, epoch, epochs, enabled):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=f"epoch {epoch}/{epochs}", unit="batch", file=sys.stderr,
                leave=False, dynamic_ncols=True, mininterval=0.5)


def train_epoch(model, optimizer, loader, epoch=1, epochs=1, progress=True):
    """One pass over ``loader``; returns ``(mean training loss, seconds)``.

    The loop does nothing per batch beyond forward, backward and the
    optimizer step: losses are kept as tensors and read back every
    ``PROGRESS_EVERY`` batches, when the progress bar is refreshed.
    """
    model.train()
    bar = _progress_bar(len(loader), epoch, epochs, progress)
    pending = []          # detached loss tensors not yet read back
    loss_sum, loss_count = 0.0, 0
    samples = 0
    start = time.perf_counter()
    for images, labels in loader:
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        pending.append(loss.detach())
        samples += labels.shape[0]
        if len(pending) == PROGRESS_EVERY:
            loss_sum += ag.stack(pending).sum().item()
            loss_count += len(pending)
            pending.clear()
            if bar is not None:
                elapsed = time.perf_counter() - start
                bar.set_postfix(loss=f"{loss_sum / loss_count:.4f}",
                                samples_per_s=f"{samples / elapsed:,.0f}", refresh=False)
                bar.update(loss_count - bar.n)
    if pending:
        loss_sum += ag.stack(pending).sum().item()
        loss_count += len(pending)
    seconds = time.perf_counter() - start
    if bar is not None:
        bar.set_postfix(loss=f"{loss_sum / max(loss_count, 1):.4f}",
                        samples_per_s=f"{samples / seconds:,.0f}", refresh=False)
        bar.update(loss_count - bar.n)
        bar.close()
    return loss_sum / max(loss_count, 1), seconds


class Result(NamedTuple):
    """What :func:`train_and_evaluate` returns."""

    model: object
    optimizer: object
    data: Data
    history: dict            # lists per epoch: train_loss, test_loss, test_accuracy, seconds
    test_loss: float
    test_accuracy: float
    predictions: numpy.ndarray
    train_seconds: float
    samples_per_second: float


def train_and_evaluate(dataset="mnist-sample", epochs=5, batch_size=32, lr=1e-3, hidden=128,
                       seed=0, device="cpu", data_dir=None, download=False, progress=True,
                       log=print, data=None):
    """Train the example's model and evaluate it after every epoch.

    Args:
        dataset, data_dir, download: see :func:`load_data` (or pass ``data``).
        epochs, batch_size, lr, hidden, seed: the recipe (Adam, cross-entropy).
        device: ``"cpu"`` or ``"cuda"``.
        progress: show a tqdm progress bar per epoch on stderr.
        log: called with each line of the report (``print`` by default;
            ``None`` keeps quiet).

    Returns:
        :class:`Result`.

    Example::

        >>> result = train_and_evaluate(epochs=1, progress=False, log=None)
        >>> result.test_accuracy > 0.85
        True
    """
    log = log or (lambda *args, **kwargs: None)
    if data is None:
        data = load_data(dataset, data_dir=data_dir, download=download, seed=seed)
    log(data.description)
    ag.manual_seed(seed)
    model = build_model(hidden, data.train_images.shape[1], len(data.class_names)).to(device)
    optimizer = ag.optim.Adam(model.parameters(), lr=lr)
    train_set = TensorDataset(ag.tensor(data.train_images).to(device),
                              ag.tensor(data.train_labels).to(device))
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_images = ag.tensor(data.test_images).to(device)
    test_labels = ag.tensor(data.test_labels).to(device)
    log(f"model: {data.train_images.shape[1]}-{hidden}-{len(data.class_names)} MLP (ReLU), "
        f"Adam lr={lr:g}, batch {batch_size}, {epochs} epochs, seed {seed}, device {device}")

    history = {"train_loss": [], "test_loss": [], "test_accuracy": [], "seconds": []}
    train_seconds = 0.0
    for epoch in range(1, epochs + 1):
        train_loss, seconds = train_epoch(model, optimizer, loader, epoch, epochs, progress)
        train_seconds += seconds
        test_loss, test_accuracy, _ = evaluate(model, test_images, test_labels)
        history["train_loss"].append(train_loss)
        history["test_loss"].append(test_loss)
        history["test_accuracy"].append(test_accuracy)
        history["seconds"].append(seconds)
        log(f"epoch {epoch}/{epochs}: train loss {train_loss:.4f} | held-out loss {test_loss:.4f}, "
            f"accuracy {100 * test_accuracy:.2f}% | {seconds:.2f} s, "
            f"{len(train_set) / seconds:,.0f} samples/s")
    test_loss, test_accuracy, predictions = evaluate(model, test_images, test_labels)
    samples_per_second = epochs * len(train_set) / train_seconds if train_seconds else 0.0
    return Result(model, optimizer, data, history, test_loss, test_accuracy, predictions,
                  train_seconds, samples_per_second)


def report(result, log=print):
    """Print the summary line, the per-class table and the confusion matrix of ``result``."""
    data = result.data
    log(f"test loss {result.test_loss:.4f}, test accuracy {100 * result.test_accuracy:.2f}% "
        f"(on {data.test_name}), {result.train_seconds:.1f} s training, "
        f"{result.samples_per_second:,.0f} samples/s")
    log("")
    log(f"per-class precision, recall and F1 on {data.test_name}:")
    log(metrics.classification_report(data.test_labels, result.predictions,
                                      num_classes=len(data.class_names),
                                      target_names=data.class_names))
    log("")
    log("confusion matrix (rows: true class, columns: predicted class):")
    matrix = metrics.confusion_matrix(data.test_labels, result.predictions, len(data.class_names))
    short_names = [str(i) for i in range(len(data.class_names))]
    log(metrics.format_confusion_matrix(matrix, short_names))
    if short_names != list(data.class_names):
        log("classes: " + ", ".join(f"{i} = {name}" for i, name in enumerate(data.class_names)))


def save_checkpoint(result, path, config):
    """Write the model, the optimizer, the recipe and the curves with :func:`ag.save`."""
    ag.save({"model": result.model.state_dict(), "optimizer": result.optimizer.state_dict(),
             "config": dict(config), "history": result.history,
             "test_accuracy": result.test_accuracy}, path)


def save_plot(history, path, title):
    """Write a PNG of the loss and accuracy curves; returns False when matplotlib is missing."""
    if importlib.util.find_spec("matplotlib") is None:
        return False
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import MaxNLocator

    epochs = range(1, len(history["train_loss"]) + 1)
    figure, (loss_axes, accuracy_axes) = pyplot.subplots(1, 2, figsize=(10, 4))
    loss_axes.plot(epochs, history["train_loss"], marker="o", label="training")
    loss_axes.plot(epochs, history["test_loss"], marker="o", label="held-out")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("cross-entropy")
    loss_axes.legend()
    accuracy_axes.plot(epochs, [100 * a for a in history["test_accuracy"]], marker="o",
                       color="tab:green")
    accuracy_axes.set_xlabel("epoch")
    accuracy_axes.set_ylabel("held-out accuracy (%)")
    for axes in (loss_axes, accuracy_axes):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return True


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value


def build_parser():
    """The command-line options of ``python -m autograd.examples.mnist``."""
    parser = argparse.ArgumentParser(
        prog="python -m autograd.examples.mnist",
        description="Train a 784-128-10 MLP (ReLU, Adam, cross-entropy) with autograd and report "
                    "held-out accuracy, per-class precision/recall/F1 and the confusion matrix.",
        epilog="The default data set is the real MNIST test set bundled with the package, split "
               "into 8,000 training and 2,000 held-out images; it needs no network.")
    parser.add_argument("--dataset", choices=DATASETS, default="mnist-sample",
                        help="data set (default: %(default)s)")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="directory with the IDX files (default: $AUTOGRAD_DATA or "
                             "~/.cache/autograd)")
    parser.add_argument("--download", action="store_true",
                        help="download missing data files (checked against published MD5s)")
    parser.add_argument("--epochs", type=_positive_int, default=5, help="default: %(default)s")
    parser.add_argument("--batch-size", type=_positive_int, default=32, help="default: %(default)s")
    parser.add_argument("--lr", type=_positive_float, default=1e-3,
                        help="Adam learning rate (default: %(default)s)")
    parser.add_argument("--hidden", type=_positive_int, default=128,
                        help="hidden units (default: %(default)s)")
    parser.add_argument("--seed", type=_non_negative_int, default=0,
                        help="seed of the initialisation, shuffling and sample split "
                             "(default: %(default)s)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="default: %(default)s")
    parser.add_argument("--save", metavar="PATH", default=None,
                        help="write a checkpoint (model and optimizer state) with ag.save")
    parser.add_argument("--plot", metavar="PATH", default=None,
                        help="write a PNG of the loss and accuracy curves (needs matplotlib)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return parser


def main(argv=None):
    """Run the example with command-line arguments ``argv``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.device == "cuda" and not ag.cuda.is_available():
        parser.error("--device cuda: CUDA is not available here (it needs CuPy and a GPU)")
    for option, path in (("--save", args.save), ("--plot", args.plot)):
        if path is not None:
            directory = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(directory):
                parser.error(f"{option} {path}: directory {directory} does not exist")
    plot = args.plot
    if plot is not None and importlib.util.find_spec("matplotlib") is None:
        print(f"warning: --plot {plot} needs matplotlib, which is not installed "
              "(pip install matplotlib); training continues without the plot", file=sys.stderr)
        plot = None

    try:
        data = load_data(args.dataset, data_dir=args.data_dir, download=args.download,
                         seed=args.seed)
    except FileNotFoundError as exc:
        hint = ("run again with --download to fetch it, or point --data-dir at the files"
                if args.dataset == "mnist" else
                "install Debian's dataset-fashion-mnist package, run again with --download, "
                "or point --data-dir at the files")
        print(f"error: the {args.dataset} data set was not found.\n{exc}\n{hint}", file=sys.stderr)
        return 1
    except ag.data.DownloadError as exc:
        print(f"error: cannot download the {args.dataset} data set: {exc}\n"
              "check the network connection, or put the four IDX files in a directory and "
              "pass it with --data-dir", file=sys.stderr)
        return 1
    except ValueError as exc:  # a corrupt or wrong file
        print(f"error: cannot load the {args.dataset} data set: {exc}", file=sys.stderr)
        return 1

    result = train_and_evaluate(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                                hidden=args.hidden, seed=args.seed, device=args.device,
                                progress=not args.no_progress, data=data)
    report(result)
    if args.save is not None:
        save_checkpoint(result, args.save, vars(args))
        print(f"checkpoint written to {args.save}")
    if plot is not None:
        save_plot(result.history, plot, f"{args.dataset}: {args.hidden} hidden units, "
                                        f"batch {args.batch_size}, lr {args.lr:g}")
        print(f"plot written to {plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
