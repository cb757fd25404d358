"""autograd.metrics against values computed by hand."""

import numpy as np
import pytest

from autograd.metrics import (accuracy, classification_report, confusion_matrix,
                              format_confusion_matrix, precision_recall_f1)

# 10 samples, 5 classes; class 3 is never predicted, class 4 never occurs.
Y_TRUE = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3]
Y_PRED = [0, 1, 0, 1, 2, 2, 2, 0, 2, 1]
# rows: true class, columns: predicted class (worked out on paper)
MATRIX = [[2, 1, 0, 0, 0],
          [0, 1, 1, 0, 0],
          [1, 0, 3, 0, 0],
          [0, 1, 0, 0, 0],
          [0, 0, 0, 0, 0]]
# precision = diagonal / column sums (3, 3, 4, 0, 0); recall = diagonal / row sums (3, 2, 4, 1, 0)
PRECISION = [2 / 3, 1 / 3, 3 / 4, 0.0, 0.0]
RECALL = [2 / 3, 1 / 2, 3 / 4, 0.0, 0.0]
F1 = [2 / 3, 2 / 5, 3 / 4, 0.0, 0.0]   # class 1: 2 * (1/3) * (1/2) / (1/3 + 1/2) = 2/5


def test_accuracy():
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(0.6)
    assert accuracy([1, 1], [1, 1]) == 1.0


def test_accuracy_from_scores_takes_the_row_argmax():
    scores = np.array([[0.1, 2.0], [3.0, -1.0], [0.0, 0.5]])
    assert accuracy([1, 0, 0], scores) == pytest.approx(2 / 3)


def test_confusion_matrix_by_hand():
    matrix = confusion_matrix(Y_TRUE, Y_PRED, num_classes=5)
    assert matrix.dtype == np.int64
    np.testing.assert_array_equal(matrix, MATRIX)
    # without num_classes: one more than the largest label seen (3)
    np.testing.assert_array_equal(confusion_matrix(Y_TRUE, Y_PRED), np.asarray(MATRIX)[:4, :4])


def test_precision_recall_f1_by_hand():
    result = precision_recall_f1(np.array(Y_TRUE), np.array(Y_PRED), num_classes=5)
    np.testing.assert_allclose(result.precision, PRECISION)
    np.testing.assert_allclose(result.recall, RECALL)
    np.testing.assert_allclose(result.f1, F1)
    np.testing.assert_array_equal(result.support, [3, 2, 4, 1, 0])
    # macro averages over all five classes
    assert result.macro_precision == pytest.approx((2 / 3 + 1 / 3 + 3 / 4) / 5)
    assert result.macro_recall == pytest.approx(23 / 60)
    assert result.macro_f1 == pytest.approx(109 / 300)


def test_perfect_and_all_wrong_predictions():
    perfect = precision_recall_f1([0, 1, 2], [0, 1, 2])
    assert perfect.macro_f1 == 1.0 and perfect.precision.tolist() == [1.0, 1.0, 1.0]
    wrong = precision_recall_f1([0, 0], [1, 1])
    assert wrong.f1.tolist() == [0.0, 0.0] and wrong.macro_recall == 0.0


def test_accepts_tensors():
    import autograd as ag

    y_true = ag.tensor(Y_TRUE)
    logits = ag.tensor(np.eye(5, dtype=np.float32)[Y_PRED])
    assert accuracy(y_true, logits) == pytest.approx(0.6)
    np.testing.assert_array_equal(confusion_matrix(y_true, ag.tensor(Y_PRED), 5), MATRIX)


def test_classification_report_text():
    report = classification_report(Y_TRUE, Y_PRED, num_classes=5,
                                   target_names=["zero", "one", "two", "three", "four"])
    lines = report.splitlines()
    assert lines[0].split() == ["class", "precision", "recall", "f1", "support"]
    assert lines[2].split() == ["one", "0.3333", "0.5000", "0.4000", "2"]
    assert lines[5].split() == ["four", "0.0000", "0.0000", "0.0000", "0"]
    accuracy_line = next(line for line in lines if line.strip().startswith("accuracy"))
    assert accuracy_line.split() == ["accuracy", "0.6000", "10"]
    macro_line = next(line for line in lines if line.strip().startswith("macro avg"))
    assert macro_line.split() == ["macro", "avg", "0.3500", "0.3833", "0.3633", "10"]
    weighted = next(line for line in lines if line.strip().startswith("weighted avg"))
    # weights 0.3, 0.2, 0.4, 0.1, 0: precision 0.2 + 0.0667 + 0.3 = 0.5667
    assert weighted.split()[2] == "0.5667"


def test_format_confusion_matrix():
    text = format_confusion_matrix(np.array([[12, 1], [0, 4]]), target_names=["cat", "dog"])
    assert text.splitlines() == ["true\\pred  cat  dog",
                                 "      cat   12    1",
                                 "      dog    0    4"]


@pytest.mark.parametrize("y_true, y_pred, num_classes, error, message", [
    ([0, 1], [0], None, ValueError, "different lengths"),
    ([0, 3], [0, 1], 3, IndexError, "out of range"),
    ([0, 1], [0, 5], 3, IndexError, "out of range"),
    ([0, -1], [0, 1], None, IndexError, "negative"),
    ([0.5, 1.0], [0, 1], None, TypeError, "must be integers"),
    ([[0, 1]], [0, 1], None, ValueError, "1-D labels"),
    ([0, 1], [0, 1], 0, ValueError, "positive int"),
])
def test_bad_inputs(y_true, y_pred, num_classes, error, message):
    with pytest.raises(error, match=message):
        confusion_matrix(y_true, y_pred, num_classes)


def test_accuracy_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="zero samples"):
        accuracy([], [])


def test_target_names_must_match_classes():
    with pytest.raises(ValueError, match="2 names for 3 classes"):
        classification_report([0, 1, 2], [0, 1, 2], target_names=["a", "b"])
