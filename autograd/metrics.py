"""Classification metrics: accuracy, confusion matrix, precision / recall / F1, a text report.

All functions take class labels as 1-D integer NumPy arrays, lists or
tensors (on any device; they are copied to the host).  ``y_pred`` may also
be a 2-D array of scores or logits, one row per sample, in which case the
predicted class is the row's argmax.

Definitions, for class ``c`` with ``TP`` true positives, ``FP`` false
positives and ``FN`` false negatives::

    precision_c = TP / (TP + FP)      recall_c = TP / (TP + FN)
    f1_c = 2 * precision_c * recall_c / (precision_c + recall_c)

A ratio whose denominator is zero is 0 (scikit-learn's ``zero_division=0``).
Macro averages are the unweighted means over all ``num_classes`` classes.
"""

from typing import NamedTuple

import numpy

__all__ = ["accuracy", "confusion_matrix", "precision_recall_f1", "PrecisionRecallF1",
           "classification_report", "format_confusion_matrix"]


def _to_numpy(values, name):
    try:
        from .tensor import Tensor
    except ImportError:  # metrics on arrays work without the tensor module
        Tensor = ()
    if Tensor and isinstance(values, Tensor):
        return values._backend.to_numpy(values._data)
    if hasattr(values, "get") and not isinstance(values, (numpy.ndarray, dict)):
        values = values.get()  # a CuPy array
    return numpy.asarray(values)


def _labels(values, name, allow_scores=False):
    """``values`` as a 1-D int64 array of class labels (argmax of rows for 2-D scores)."""
    array = _to_numpy(values, name)
    if allow_scores and array.ndim == 2:
        if array.shape[1] == 0:
            raise ValueError(f"{name}: scores of shape {array.shape} have no classes")
        array = array.argmax(axis=1)
    if array.ndim != 1:
        expected = "1-D labels or 2-D scores" if allow_scores else "1-D labels"
        raise ValueError(f"{name}: expected {expected}, got shape {array.shape}")
    if array.size and not numpy.issubdtype(array.dtype, numpy.integer):
        if array.dtype == numpy.bool_:
            array = array.astype(numpy.int64)
        elif numpy.issubdtype(array.dtype, numpy.floating) and numpy.all(array == numpy.round(array)):
            array = array.astype(numpy.int64)
        else:
            raise TypeError(f"{name}: class labels must be integers, got dtype {array.dtype}")
    array = array.astype(numpy.int64, copy=False)
    if array.size and array.min() < 0:
        raise IndexError(f"{name}: class label {array.min()} is negative")
    return array


def _pair(y_true, y_pred, num_classes):
    true = _labels(y_true, "y_true")
    pred = _labels(y_pred, "y_pred", allow_scores=True)
    if true.shape != pred.shape:
        raise ValueError(f"y_true and y_pred have different lengths: {true.shape[0]} and "
                         f"{pred.shape[0]}")
    if num_classes is None:
        num_classes = int(max(true.max(initial=-1), pred.max(initial=-1))) + 1
    else:
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, numpy.integer)) \
                or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        num_classes = int(num_classes)
        for name, array in (("y_true", true), ("y_pred", pred)):
            if array.size and array.max() >= num_classes:
                raise IndexError(f"{name}: class label {array.max()} is out of range for "
                                 f"num_classes={num_classes}")
    return true, pred, num_classes


def accuracy(y_true, y_pred):
    """Fraction of samples whose predicted class equals the true class.

    ``y_pred`` may be labels or a 2-D array of scores (argmax per row).

    Example::

        >>> accuracy([0, 1, 2, 2], [0, 2, 2, 2])
        0.75
    """
    true = _labels(y_true, "y_true")
    pred = _labels(y_pred, "y_pred", allow_scores=True)
    if true.shape != pred.shape:
        raise ValueError(f"y_true and y_pred have different lengths: {true.shape[0]} and "
                         f"{pred.shape[0]}")
    if true.size == 0:
        raise ValueError("accuracy of zero samples is undefined")
    return float(numpy.mean(true == pred))


def confusion_matrix(y_true, y_pred, num_classes=None):
    """The ``(C, C)`` int64 matrix counting samples of true class ``i`` predicted as ``j``.

    Rows are true classes, columns predicted classes (scikit-learn's layout),
    so the diagonal holds the correct predictions.  ``num_classes`` defaults
    to one more than the largest label seen.

    Example::

        >>> confusion_matrix([0, 1, 1], [0, 0, 1])
        array([[1, 0],
               [1, 1]])
    """
    true, pred, num_classes = _pair(y_true, y_pred, num_classes)
    flat = numpy.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(numpy.int64)


class PrecisionRecallF1(NamedTuple):
    """Per-class arrays (length ``num_classes``) and their macro averages."""

    precision: numpy.ndarray
    recall: numpy.ndarray
    f1: numpy.ndarray
    support: numpy.ndarray
    macro_precision: float
    macro_recall: float
    macro_f1: float


def _safe_ratio(numerator, denominator):
    numerator = numpy.asarray(numerator, dtype=numpy.float64)
    denominator = numpy.asarray(denominator, dtype=numpy.float64)
    out = numpy.zeros_like(numerator)
    numpy.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _scores_from_matrix(matrix):
    true_positive = numpy.diag(matrix).astype(numpy.float64)
    predicted = matrix.sum(axis=0)
    support = matrix.sum(axis=1)
    precision = _safe_ratio(true_positive, predicted)
    recall = _safe_ratio(true_positive, support)
    f1 = _safe_ratio(2 * precision * recall, precision + recall)
    return PrecisionRecallF1(precision, recall, f1, support.astype(numpy.int64),
                             float(precision.mean()), float(recall.mean()), float(f1.mean()))


def precision_recall_f1(y_true, y_pred, num_classes=None):
    """Per-class precision, recall, F1 and support, with their macro averages.

    Returns a :class:`PrecisionRecallF1` named tuple: ``precision``,
    ``recall``, ``f1`` (float64 arrays), ``support`` (int64 array: true
    samples per class), ``macro_precision``, ``macro_recall``, ``macro_f1``
    (floats).  Zero denominators give 0; macro averages cover all
    ``num_classes`` classes.  The per-class values equal scikit-learn's
    ``precision_recall_fscore_support(..., labels=range(C), zero_division=0)``.

    Example::

        >>> r = precision_recall_f1([0, 0, 1, 1], [0, 1, 1, 1])
        >>> r.precision.tolist(), r.recall.tolist(), round(r.macro_f1, 4)
        ([1.0, 0.6666666666666666], [0.5, 1.0], 0.7333)
    """
    return _scores_from_matrix(confusion_matrix(y_true, y_pred, num_classes))


def _class_names(target_names, num_classes):
    if target_names is None:
        return [str(c) for c in range(num_classes)]
    names = [str(n) for n in target_names]
    if len(names) != num_classes:
        raise ValueError(f"target_names has {len(names)} names for {num_classes} classes")
    return names


def classification_report(y_true, y_pred, num_classes=None, target_names=None, digits=4):
    """A text table of per-class precision, recall, F1 and support, like scikit-learn's.

    The last lines give the accuracy, the macro average and the
    support-weighted average.

    Example::

        >>> print(classification_report([0, 0, 1, 1], [0, 1, 1, 1]))   # doctest: +SKIP
               class  precision     recall         f1    support
                   0     1.0000     0.5000     0.6667          2
                   1     0.6667     1.0000     0.8000          2
        ...
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    scores = _scores_from_matrix(matrix)
    names = _class_names(target_names, matrix.shape[0])
    total = int(scores.support.sum())
    width = max([len(n) for n in names] + [len("weighted avg"), 5])
    col = max(digits + 5, 9)
    header = f"{'class':>{width}} {'precision':>{col}} {'recall':>{col}} {'f1':>{col}} {'support':>{col}}"
    lines = [header]
    for name, p, r, f, s in zip(names, scores.precision, scores.recall, scores.f1, scores.support):
        lines.append(f"{name:>{width}} {p:>{col}.{digits}f} {r:>{col}.{digits}f} "
                     f"{f:>{col}.{digits}f} {int(s):>{col}d}")
    lines.append("")
    correct = int(numpy.trace(matrix))
    accuracy_value = correct / total if total else 0.0
    lines.append(f"{'accuracy':>{width}} {'':>{col}} {'':>{col}} "
                 f"{accuracy_value:>{col}.{digits}f} {total:>{col}d}")
    lines.append(f"{'macro avg':>{width}} {scores.macro_precision:>{col}.{digits}f} "
                 f"{scores.macro_recall:>{col}.{digits}f} {scores.macro_f1:>{col}.{digits}f} "
                 f"{total:>{col}d}")
    weights = scores.support / total if total else numpy.zeros_like(scores.precision)
    lines.append(f"{'weighted avg':>{width}} {float(weights @ scores.precision):>{col}.{digits}f} "
                 f"{float(weights @ scores.recall):>{col}.{digits}f} "
                 f"{float(weights @ scores.f1):>{col}.{digits}f} {total:>{col}d}")
    return "\n".join(lines)


def format_confusion_matrix(matrix, target_names=None):
    """A confusion matrix as aligned text: rows are true classes, columns predictions.

    Example::

        >>> print(format_confusion_matrix([[5, 1], [0, 4]]))
        true\\pred  0  1
                0  5  1
                1  0  4
    """
    matrix = numpy.asarray(_to_numpy(matrix, "matrix"))
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"format_confusion_matrix: expected a square matrix, got shape {matrix.shape}")
    names = _class_names(target_names, matrix.shape[0])
    corner = "true\\pred"
    row_width = max([len(corner)] + [len(n) for n in names])
    col = max([len(n) for n in names] + [len(str(int(matrix.max(initial=0))))]) + 1
    lines = [f"{corner:>{row_width}}" + "".join(f"{n:>{col + 1}}" for n in names)]
    for name, row in zip(names, matrix):
        lines.append(f"{name:>{row_width}}" + "".join(f"{int(v):>{col + 1}d}" for v in row))
    return "\n".join(lines)
