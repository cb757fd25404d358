"""The backend interface, with generic array-expression implementations.

A backend is the only place that knows which array module (``xp``: numpy,
cupy, ...) holds a device's data and which compiled kernels exist for it.
Operations ask the backend of their inputs' device for ``matmul``,
``relu_forward``, ``softmax_forward``, ... and never branch on the device.

:class:`Backend` implements every kernel with plain ``xp`` expressions, so a
new device works as soon as it names its array module.  The cpu backend
(:mod:`autograd.backend.cpu`) overrides the hot ones with Cython kernels and
the cuda backend with CuPy kernels; these generic versions are also the
reference the kernel tests compare against.

Conventions shared by every backend:

* Inputs are arrays of this backend's device; dtypes of float inputs agree.
* Functions return new arrays unless they are documented as in-place
  (``bias_relu_forward``, ``sgd_step``, ``adam_step``, ``rmsprop_step``).
* ``axis`` arguments may be negative.
"""

import numpy


class Backend:
    """Generic backend over an array module ``xp`` (numpy-compatible)."""

    #: device name, as used in ``Tensor.device``
    name = "base"
    #: the array module
    xp = numpy

    # ------------------------------------------------------------------
    # arrays and transfers
    # ------------------------------------------------------------------
    def asarray(self, data, dtype=None):
        """Return ``data`` as an array of this device (no copy if it already is one)."""
        return self.xp.asarray(data, dtype=dtype)

    def from_numpy(self, array):
        """Copy a host ``numpy.ndarray`` onto this device."""
        return self.xp.asarray(array)

    def to_numpy(self, array):
        """Copy an array of this device to a host ``numpy.ndarray``."""
        return numpy.asarray(array)

    def is_array(self, obj):
        """True if ``obj`` is an array of this device."""
        return isinstance(obj, self.xp.ndarray)

    def broadcast_to(self, x, shape):
        """``x`` broadcast to ``shape`` as a read-only view (``numpy.broadcast_to``)."""
        return self.xp.broadcast_to(x, shape)

    def synchronize(self):
        """Wait for queued work to finish (a no-op on synchronous devices)."""

    # ------------------------------------------------------------------
    # matmul
    # ------------------------------------------------------------------
    def gemm(self, a, b, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, out=None):
        """``out = alpha * op(a) @ op(b) + beta * out`` for 2-D arrays.

        ``op(x)`` is ``x.T`` when the matching ``trans_`` flag is set.  With
        ``out=None`` a new array is returned (``beta`` is then ignored).
        """
        xp = self.xp
        a2 = a.T if trans_a else a
        b2 = b.T if trans_b else b
        if out is None:
            res = xp.matmul(a2, b2)
            if alpha != 1.0:
                res *= alpha
            return res
        res = xp.matmul(a2, b2)
        if alpha != 1.0:
            res *= alpha
        if beta == 0.0:
            out[...] = res
        else:
            out *= beta
            out += res
        return out

    def matmul(self, a, b):
        """``numpy.matmul`` semantics: 1-d, 2-d, batched and broadcast batch dims."""
        return self.xp.matmul(a, b)

    def linear_forward(self, x, weight, bias=None):
        """``x @ weight.T + bias`` for 2-D ``x`` (N, in), ``weight`` (out, in), ``bias`` (out,)."""
        if bias is None:
            return self.gemm(x, weight, trans_b=True)
        out = self.xp.empty((x.shape[0], weight.shape[0]), dtype=x.dtype)
        out[...] = bias
        return self.gemm(x, weight, trans_b=True, beta=1.0, out=out)

    # ------------------------------------------------------------------
    # reductions
    # ------------------------------------------------------------------
    def sum_all(self, x, dtype=None):
        """The sum of every element of ``x`` as a 0-d array (``dtype`` as in ``numpy.sum``)."""
        return self.xp.asarray(x.sum(dtype=dtype))

    # ------------------------------------------------------------------
    # activations
    # ------------------------------------------------------------------
    def relu_forward(self, x):
        """``max(x, 0)`` elementwise."""
        xp = self.xp
        return xp.maximum(x, xp.zeros((), dtype=x.dtype))

    def relu_backward(self, grad, x):
        """``grad`` where ``x > 0`` (and where ``x`` is NaN, as PyTorch), else 0."""
        xp = self.xp
        return xp.where(x <= 0, xp.zeros((), dtype=grad.dtype), grad)

    def relu_backward_bias(self, grad, y):
        """``(g, g.sum(axis=0))`` with ``g = grad * (y > 0)``, for 2-D ``grad`` and ``y``: the
        masked gradient and the bias gradient of ``relu(x @ W.T + b)``."""
        g = self.relu_backward(grad, y)
        return g, g.sum(axis=0)

    def bias_relu_forward(self, x, bias):
        """In place: ``x = max(x + bias, 0)`` for 2-D ``x`` and a row ``bias``; returns ``x``."""
        xp = self.xp
        x += bias
        xp.maximum(x, xp.zeros((), dtype=x.dtype), out=x)
        return x

    def exp_forward(self, x):
        """``e^x`` elementwise (``xp.exp``)."""
        return self.xp.exp(x)

    def sigmoid_forward(self, x):
        """The logistic function ``1 / (1 + exp(-x))`` elementwise, without overflow.

        Evaluated as ``r = 1 / (1 + exp(-|x|))`` and ``x >= 0 ? r : exp(-|x|) * r``,
        so ``exp`` never sees a positive argument and both tails are accurate.

        Example::

            >>> backend.sigmoid_forward(numpy.array([0.0, 1000.0, -1000.0]))
            array([0.5, 1. , 0. ])
        """
        xp = self.xp
        e = xp.exp(-xp.abs(x))
        r = 1.0 / (1.0 + e)
        return xp.where(x >= 0, r, e * r).astype(x.dtype, copy=False)

    def erf(self, x):
        """The error function ``erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt``, elementwise,
        in ``x``'s dtype.

        Uses ``xp.erf`` when the array module has one, else ``scipy.special.erf``
        (a ufunc, so it also serves array types that implement ``__array_ufunc__``).

        Example::

            >>> backend.erf(numpy.array([0.0, 1.0]))
            array([0.       , 0.84270079])
        """
        fn = getattr(self.xp, "erf", None)
        if fn is None:
            from scipy.special import erf as fn
        return fn(x).astype(x.dtype, copy=False)

    def softmax_forward(self, x, axis=-1):
        """Numerically stable softmax along ``axis``."""
        xp = self.xp
        if x.size == 0:
            return xp.empty_like(x)
        y = x - x.max(axis=axis, keepdims=True)
        xp.exp(y, out=y)
        y /= y.sum(axis=axis, keepdims=True)
        return y

    def softmax_backward(self, grad, y, axis=-1):
        """Gradient of softmax given its output ``y``: ``y * (grad - sum(grad * y))``."""
        s = (grad * y).sum(axis=axis, keepdims=True)
        return y * (grad - s)

    def log_softmax_forward(self, x, axis=-1):
        """Numerically stable log-softmax along ``axis``: ``x - logsumexp(x)``."""
        xp = self.xp
        if x.size == 0:
            return xp.empty_like(x)
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))

    def log_softmax_backward(self, grad, y, axis=-1):
        """Gradient of log-softmax given its output ``y``: ``grad - exp(y) * sum(grad)``."""
        return grad - self.xp.exp(y) * grad.sum(axis=axis, keepdims=True)

    # ------------------------------------------------------------------
    # cross-entropy from logits and class indices
    # ------------------------------------------------------------------
    def check_class_indices(self, target, num_classes, ignore_index):
        """Raise ``IndexError`` if a target (other than ``ignore_index``) is outside [0, C)."""
        xp = self.xp
        if target.size == 0:
            return
        valid = target != ignore_index
        bad = valid & ((target < 0) | (target >= num_classes))
        if bool(bad.any()):
            first = int(xp.nonzero(bad)[0][0])
            raise IndexError(
                f"cross_entropy: target {int(target[first])} at position {first} is out of "
                f"bounds for {num_classes} classes"
            )

    def cross_entropy_forward(self, logits, target, reduction="mean", ignore_index=-100,
                              label_smoothing=0.0):
        """Cross-entropy of 2-D ``logits`` (N, C) against int64 ``target`` (N,).

        Returns ``(loss, lse)``: ``loss`` is 0-d for ``"mean"``/``"sum"`` and
        (N,) for ``"none"``; ``lse`` (N,) is each row's log-sum-exp, saved
        for the backward.  Per row, with ``logp = logits - lse``::

            loss_i = -(1 - ls) * logp[i, t_i] - ls / C * sum_c logp[i, c]

        and 0 for rows whose target is ``ignore_index``.  ``"mean"`` divides
        by the number of rows not ignored (PyTorch's rule).
        """
        xp = self.xp
        n, c = logits.shape
        dtype = logits.dtype
        self.check_class_indices(target, c, ignore_index)
        if n == 0:
            lse = xp.empty((0,), dtype=dtype)
            if reduction == "none":
                return xp.empty((0,), dtype=dtype), lse
            value = 0.0 if reduction == "sum" else float("nan")
            return xp.asarray(value, dtype=dtype), lse
        m = logits.max(axis=1)
        lse = m + xp.log(xp.exp(logits - m[:, None]).sum(axis=1))
        valid = target != ignore_index
        safe_t = xp.where(valid, target, 0)
        picked = xp.take_along_axis(logits, safe_t[:, None], axis=1)[:, 0]
        nll = lse - picked
        if label_smoothing > 0.0:
            smooth = lse - logits.mean(axis=1)
            per_row = (1.0 - label_smoothing) * nll + label_smoothing * smooth
        else:
            per_row = nll
        per_row = xp.where(valid, per_row, xp.zeros((), dtype=dtype)).astype(dtype, copy=False)
        if reduction == "none":
            return per_row, lse
        total = per_row.sum(dtype=dtype)
        if reduction == "sum":
            return xp.asarray(total, dtype=dtype), lse
        count = int(valid.sum())
        return xp.asarray(total / count if count else float("nan"), dtype=dtype), lse

    def cross_entropy_backward(self, grad, logits, target, lse, reduction="mean",
                               ignore_index=-100, label_smoothing=0.0):
        """Gradient w.r.t. ``logits`` of :meth:`cross_entropy_forward`.

        ``grad`` is the upstream gradient: 0-d for ``"mean"``/``"sum"``, (N,)
        for ``"none"``.  Per row: ``scale * (softmax - (1 - ls) * onehot - ls / C)``.
        """
        xp = self.xp
        n, c = logits.shape
        dtype = logits.dtype
        if n == 0:
            return xp.zeros_like(logits)
        valid = target != ignore_index
        g = xp.exp(logits - lse[:, None])
        safe_t = xp.where(valid, target, 0)
        rows = xp.arange(n)
        g[rows, safe_t] -= 1.0 - label_smoothing
        if label_smoothing > 0.0:
            g -= label_smoothing / c
        if reduction == "none":
            scale = grad * valid
        else:
            scale = xp.broadcast_to(grad, (n,)) * valid
            if reduction == "mean":
                count = int(valid.sum())
                # every row ignored: the loss is 0/0 = NaN, but PyTorch's gradient is 0
                scale = scale / count if count else xp.zeros_like(scale)
        g *= scale.astype(dtype, copy=False)[:, None]
        return g

    # ------------------------------------------------------------------
    # optimizer updates (in place, PyTorch's arithmetic)
    # ------------------------------------------------------------------
    def sgd_step(self, param, grad, momentum_buffer, lr, momentum=0.0, dampening=0.0,
                 weight_decay=0.0, nesterov=False, first_step=False):
        """One SGD update of ``param`` in place (``torch.optim.SGD``'s arithmetic).

        ``momentum_buffer`` is updated in place when ``momentum != 0``; on the
        ``first_step`` it is set to the (decayed) gradient, as PyTorch does.
        """
        d_p = grad
        if weight_decay != 0.0:
            d_p = d_p + weight_decay * param
        if momentum != 0.0:
            buf = momentum_buffer
            if first_step:
                buf[...] = d_p
            else:
                buf *= momentum
                buf += (1.0 - dampening) * d_p
            if nesterov:
                d_p = d_p + momentum * buf
            else:
                d_p = buf
        param -= lr * d_p
        return param

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, step, lr, beta1=0.9, beta2=0.999,
                  eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
        """One Adam (or AdamW with ``decoupled_weight_decay``) update in place.

        ``step`` is the 1-based step count after this update (bias correction).
        Follows ``torch.optim.Adam``'s single-tensor arithmetic::

            m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
            p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
        """
        xp = self.xp
        if weight_decay != 0.0:
            if decoupled_weight_decay:
                param *= 1.0 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        exp_avg *= beta1
        exp_avg += (1.0 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1.0 - beta2) * grad * grad
        bias_correction1 = 1.0 - beta1 ** step
        bias_correction2 = 1.0 - beta2 ** step
        step_size = lr / bias_correction1
        denom = xp.sqrt(exp_avg_sq) / (bias_correction2 ** 0.5) + eps
        param -= step_size * exp_avg / denom
        return param

    def adam_steps(self, params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1=0.9, beta2=0.999,
                   eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
        """:meth:`adam_step` for several parameters (PyTorch's multi-tensor Adam).

        ``steps[i]`` is the step count of ``params[i]`` after this update.  A
        backend may do all of them in one kernel call; this default loops.
        """
        for p, g, m, v, step in zip(params, grads, exp_avgs, exp_avg_sqs, steps):
            self.adam_step(p, g, m, v, step, lr, beta1, beta2, eps, weight_decay,
                           decoupled_weight_decay)

    def rmsprop_step(self, param, grad, square_avg, lr, alpha=0.99, eps=1e-8, weight_decay=0.0,
                     momentum=0.0, centered=False, momentum_buffer=None, grad_avg=None):
        """One RMSprop update in place (``torch.optim.RMSprop``'s arithmetic)."""
        xp = self.xp
        if weight_decay != 0.0:
            grad = grad + weight_decay * param
        square_avg *= alpha
        square_avg += (1.0 - alpha) * grad * grad
        if centered:
            grad_avg *= alpha
            grad_avg += (1.0 - alpha) * grad
            avg = xp.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = xp.sqrt(square_avg) + eps
        if momentum > 0.0:
            momentum_buffer *= momentum
            momentum_buffer += grad / avg
            param -= lr * momentum_buffer
        else:
            param -= lr * grad / avg
        return param
