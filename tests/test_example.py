"""The MNIST example: end-to-end training on the bundled sample, options, checkpoint, plot, CLI."""

import os
import subprocess
import sys

import numpy as np
import pytest

import autograd as ag
from autograd.examples import mnist as example

# The directory that holds the autograd this test imported (the installed package in CI, the
# source tree in a development install), so subprocesses run that same package.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(ag.__file__)))


@pytest.fixture(scope="module")
def sample():
    return example.load_data("mnist-sample", seed=0)


def test_sample_split(sample):
    assert sample.train_images.shape == (8000, 784) and sample.test_images.shape == (2000, 784)
    assert sample.train_images.dtype == np.float32 and sample.train_labels.dtype == np.int64
    assert "8,000 training and 2,000 held-out" in sample.description
    # normalised with MNIST's statistics: close to mean 0, std 1 on this data
    assert abs(sample.train_images.mean()) < 0.05 and abs(sample.train_images.std() - 1) < 0.05
    # the split is seeded, disjoint, and covers the whole bundled test set
    again = example.load_data("mnist-sample", seed=0)
    np.testing.assert_array_equal(again.test_labels, sample.test_labels)
    other = example.load_data("mnist-sample", seed=1)
    assert not np.array_equal(other.test_labels, sample.test_labels)
    counts = np.bincount(np.concatenate([sample.train_labels, sample.test_labels]))
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_one_epoch_reaches_85_percent_held_out(sample):
    lines = []
    result = example.train_and_evaluate(epochs=1, progress=False, log=lines.append, data=sample)
    assert result.test_accuracy >= 0.85, result.test_accuracy
    assert len(result.history["test_accuracy"]) == 1
    assert result.history["train_loss"][0] > result.test_loss * 0.5  # a real loss was tracked
    assert result.samples_per_second > 0 and result.predictions.shape == (2000,)
    assert any("held-out loss" in line and "accuracy" in line for line in lines)
    lines.clear()
    example.report(result, log=lines.append)
    text = "\n".join(lines)
    assert "test accuracy" in text and "samples/s" in text and "2,000 held-out images" in text
    assert "macro avg" in text and "confusion matrix" in text


def test_training_is_reproducible_with_the_seed(sample):
    small = sample._replace(train_images=sample.train_images[:640],
                            train_labels=sample.train_labels[:640])
    runs = [example.train_and_evaluate(epochs=1, batch_size=64, progress=False, log=None,
                                       data=small) for _ in range(2)]
    assert runs[0].test_loss == runs[1].test_loss
    np.testing.assert_array_equal(runs[0].predictions, runs[1].predictions)


def test_save_and_plot_options(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(example, "SAMPLE_TRAIN_SIZE", 1000)  # a quick run
    checkpoint, plot = tmp_path / "model.agz", tmp_path / "curves.png"
    status = example.main(["--epochs", "2", "--batch-size", "100", "--no-progress",
                           "--save", str(checkpoint), "--plot", str(plot)])
    assert status == 0
    output = capsys.readouterr().out
    assert "epoch 2/2" in output and "checkpoint written" in output
    state = ag.load(checkpoint)
    assert state["config"]["batch_size"] == 100 and len(state["history"]["test_loss"]) == 2
    model = example.build_model(128)
    model.load_state_dict(state["model"])
    assert set(state["optimizer"]) == {"state", "param_groups"}
    pytest.importorskip("matplotlib")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(example, "SAMPLE_TRAIN_SIZE", 500)
    real_find_spec = example.importlib.util.find_spec
    monkeypatch.setattr(example.importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real_find_spec(name, *a))
    status = example.main(["--epochs", "1", "--no-progress", "--plot", str(tmp_path / "p.png")])
    assert status == 0
    assert "needs matplotlib" in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "expected a positive integer"),
    (["--epochs", "two"], "expected a positive integer"),
    (["--batch-size", "-3"], "expected a positive integer"),
    (["--lr", "0"], "expected a positive finite number"),
    (["--lr", "fast"], "expected a positive number"),
    (["--seed", "-1"], "non-negative"),
    (["--dataset", "cifar"], "invalid choice"),
    (["--device", "tpu"], "invalid choice"),
    (["--save", "/no/such/dir/x.agz"], "does not exist"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_options_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        example.main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_data_set_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AUTOGRAD_DATA", str(tmp_path))
    assert example.main(["--dataset", "mnist", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "not found" in err and "--download" in err


def test_command_line_from_another_directory(tmp_path):
    env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               AUTOGRAD_DATA=str(tmp_path / "cache"))
    process = subprocess.run([sys.executable, "-m", "autograd.examples.mnist", "--epochs", "1"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr[-2000:]
    out = process.stdout
    assert "8,000 training and 2,000 held-out" in out
    accuracy = float(out.split("test accuracy ")[1].split("%")[0])
    assert accuracy >= 85.0
    assert "precision" in out and "macro avg" in out and "confusion matrix" in out
    assert "epoch 1/1" in process.stderr  # the progress bar


@pytest.mark.skipif(ag.cuda.is_available(), reason="CUDA is available here")
def test_device_cuda_without_cuda_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as info:
        example.main(["--device", "cuda"])
    assert info.value.code == 2 and "CUDA is not available" in capsys.readouterr().err


@pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CUDA")
def test_one_epoch_on_cuda(sample):
    result = example.train_and_evaluate(epochs=1, progress=False, log=None, data=sample,
                                        device="cuda")
    assert result.test_accuracy >= 0.85
