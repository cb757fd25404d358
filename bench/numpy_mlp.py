"""A hand-written NumPy MLP trainer: manual backprop, in-place Adam, no autograd.

This is the *floor* for any NumPy-based engine: the least work NumPy can do to
train ``Linear -> ReLU -> ... -> Linear`` with softmax cross-entropy and Adam.
It is written for speed with NumPy alone (no Cython, no autograd):

* all parameters live in one flat float32 buffer, all gradients in another,
  and each layer's weight and bias are views into them, so Adam is a dozen
  whole-array NumPy calls per step instead of a dozen per parameter;
* every activation, gradient and mask buffer is allocated once per batch
  size and reused (``out=`` everywhere): no temporaries in the step, no
  first-touch of fresh memory;
* ``x @ W.T`` and both backward products go to BLAS through ``np.matmul``
  with transposed views (no copies); the bias gradient is a GEMV with a
  vector of ones, faster than ``sum(axis=0)`` on small batches;
* ReLU is ``np.maximum`` against a zeros row (against a scalar is several
  times slower on this NumPy), its backward a multiply by a boolean mask.

The math, for layers ``z_i = a_{i-1} W_i^T + b_i`` and ``a_i = relu(z_i)``
(no ReLU after the last layer), logits ``z_L`` and targets ``t``::

    loss    = mean_n( logsumexp(z_L[n]) - z_L[n, t_n] )
    dz_L    = (softmax(z_L) - onehot(t)) / N
    dW_i    = dz_i^T a_{i-1}          db_i = 1^T dz_i
    dz_{i-1} = (dz_i W_i) * [a_{i-1} > 0]

and Adam (Kingma & Ba; PyTorch's default arithmetic up to rounding)::

    m = b1 m + (1 - b1) g        v = b2 v + (1 - b2) g^2
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

computed on moments kept scaled by ``1/(1 - b1)`` and ``1/(1 - b2)`` (the
same values, two passes fewer; see :meth:`NumpyMLP._adam`).

Example::

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> layers = init_linear_layers([784, 128, 10], rng)
    >>> net = NumpyMLP(layers, lr=1e-3)
    >>> x = rng.standard_normal((64, 784), dtype=np.float32)
    >>> t = rng.integers(0, 10, 64)
    >>> loss0 = net.train_step(x, t)
    >>> for _ in range(20):
    ...     loss = net.train_step(x, t)
    >>> loss < loss0
    True
"""

import math

import numpy as np

__all__ = ["NumpyMLP", "init_linear_layers"]


def init_linear_layers(sizes, rng, dtype=np.float32):
    """Weights ``(out, in)`` and biases ``(out,)`` for ``Linear`` layers of ``sizes``.

    PyTorch's default ``nn.Linear`` init: both drawn from
    ``U(-1/sqrt(in), 1/sqrt(in))``.  Returns a list of ``(weight, bias)``
    float arrays, to be loaded into every engine so they all start equal.
    """
    if len(sizes) < 2:
        raise ValueError(f"init_linear_layers: need at least input and output sizes, got {sizes}")
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        w = rng.uniform(-bound, bound, size=(fan_out, fan_in)).astype(dtype)
        b = rng.uniform(-bound, bound, size=(fan_out,)).astype(dtype)
        layers.append((w, b))
    return layers


class _BatchBuffers:
    """Every array one training step at batch size ``n`` writes, allocated once."""

    def __init__(self, n, sizes, dtype):
        outs = sizes[1:]
        self.z = [np.zeros((n, o), dtype=dtype) for o in outs]          # pre-activations, then activations
        self.dz = [np.zeros((n, o), dtype=dtype) for o in outs]         # gradients w.r.t. z
        self.mask = [np.zeros((n, o), dtype=bool) for o in outs[:-1]]   # relu masks of hidden layers
        self.ones = np.ones(n, dtype=dtype)
        self.rows = np.arange(n)
        self.row_max = np.zeros((n, 1), dtype=dtype)
        self.row_sum = np.zeros((n, 1), dtype=dtype)
        # first touch now, not inside the timed step
        for group in (self.z, self.dz, self.mask):
            for a in group:
                a.fill(0)


class NumpyMLP:
    """An MLP ``sizes[0] -> ... -> sizes[-1]`` with ReLU, softmax cross-entropy and Adam.

    Args:
        layers: list of ``(weight (out, in), bias (out,))`` arrays (copied).
        lr, betas, eps: Adam's hyper-parameters (PyTorch's defaults).

    :meth:`train_step` runs forward, backward and one Adam update and returns
    the batch's mean loss (a Python float).
    """

    def __init__(self, layers, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        if not layers:
            raise ValueError("NumpyMLP: need at least one (weight, bias) layer")
        dtype = np.result_type(layers[0][0])
        sizes = [layers[0][0].shape[1]]
        for i, (w, b) in enumerate(layers):
            if w.ndim != 2 or b.shape != (w.shape[0],) or w.shape[1] != sizes[-1]:
                raise ValueError(f"NumpyMLP: layer {i} has weight {w.shape} and bias {b.shape}; "
                                 f"expected (out, {sizes[-1]}) and (out,)")
            sizes.append(w.shape[0])
        self.sizes = sizes
        self.dtype = dtype
        total = sum(w.size + b.size for w, b in layers)
        self.params = np.zeros(total, dtype=dtype)
        self.grads = np.zeros(total, dtype=dtype)
        self.exp_avg = np.zeros(total, dtype=dtype)
        self.exp_avg_sq = np.zeros(total, dtype=dtype)
        self._scratch = np.zeros(total, dtype=dtype)
        self.weights, self.biases, self.weight_grads, self.bias_grads = [], [], [], []
        offset = 0
        for w, b in layers:
            for src, views, gviews in ((w, self.weights, self.weight_grads), (b, self.biases, self.bias_grads)):
                view = self.params[offset:offset + src.size].reshape(src.shape)
                view[...] = src
                views.append(view)
                gviews.append(self.grads[offset:offset + src.size].reshape(src.shape))
                offset += src.size
        self.zero_rows = [np.zeros((1, o), dtype=dtype) for o in sizes[1:]]
        self.lr = float(lr)
        self.beta1, self.beta2 = (float(b) for b in betas)
        self.eps = float(eps)
        self.step_count = 0
        self._buffers = {}

    def _buffers_for(self, n):
        bufs = self._buffers.get(n)
        if bufs is None:
            bufs = self._buffers[n] = _BatchBuffers(n, self.sizes, self.dtype)
        return bufs

    def forward(self, x):
        """Logits of ``x`` (N, in); the returned array is an internal buffer (copy to keep it)."""
        bufs = self._buffers_for(x.shape[0])
        a = x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = bufs.z[i]
            np.matmul(a, w.T, out=z)
            z += b
            if i != last:
                np.maximum(z, self.zero_rows[i], out=z)
            a = z
        return a

    def train_step(self, x, target):
        """One step of forward, backward and Adam on batch ``x`` (N, in), ``target`` (N,) ints."""
        if x.dtype != self.dtype or x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"NumpyMLP.train_step: expected x of shape (N, {self.sizes[0]}) and dtype "
                             f"{self.dtype}, got {x.shape} {x.dtype}")
        loss = self.forward_loss(x, target)
        self.backward(x)
        self._adam()
        return loss

    def forward_loss(self, x, target):
        """Forward pass and cross-entropy; leaves d loss / d logits in the last ``dz`` buffer."""
        n = x.shape[0]
        bufs = self._buffers_for(n)
        logits = self.forward(x)
        p = bufs.dz[-1]
        np.maximum.reduce(logits, axis=1, keepdims=True, out=bufs.row_max)
        np.subtract(logits, bufs.row_max, out=p)
        picked = p[bufs.rows, target]  # shifted logit of each row's target
        np.exp(p, out=p)
        np.add.reduce(p, axis=1, keepdims=True, out=bufs.row_sum)
        loss = float(np.log(bufs.row_sum).sum() - picked.sum()) / n
        p /= bufs.row_sum
        p[bufs.rows, target] -= 1.0
        p *= 1.0 / n
        return loss

    def backward(self, x):
        """Weight and bias gradients into the flat gradient buffer (after :meth:`forward_loss`)."""
        bufs = self._buffers_for(x.shape[0])
        g = bufs.dz[-1]
        for i in range(len(self.weights) - 1, -1, -1):
            a_prev = x if i == 0 else bufs.z[i - 1]
            np.matmul(g.T, a_prev, out=self.weight_grads[i])
            np.dot(bufs.ones, g, out=self.bias_grads[i])
            if i > 0:
                g_prev = bufs.dz[i - 1]
                np.matmul(g, self.weights[i], out=g_prev)
                mask = bufs.mask[i - 1]
                np.greater(a_prev, self.zero_rows[i - 1], out=mask)
                np.multiply(g_prev, mask, out=g_prev)
                g = g_prev

    def _adam(self):
        """One Adam update of the flat parameter buffer: ten whole-array passes, no temporaries.

        The moments are kept scaled, ``m' = m / (1 - b1)`` and ``u = v / (1 - b2)``,
        so their updates need no multiply of the gradient::

            m' = b1 m' + g          u = b2 u + g^2
            p -= k * m' / (sqrt(u) + eps / c)

        with ``c = sqrt(1 - b2) / sqrt(1 - b2^t)`` and ``k = lr (1 - b1) / ((1 - b1^t) c)``,
        which is Adam's update exactly (up to float rounding).
        """
        self.step_count += 1
        t = self.step_count
        b1, b2 = self.beta1, self.beta2
        g, m, u, tmp = self.grads, self.exp_avg, self.exp_avg_sq, self._scratch
        c = math.sqrt(1.0 - b2) / math.sqrt(1.0 - b2 ** t)
        k = self.lr * (1.0 - b1) / ((1.0 - b1 ** t) * c)
        m *= b1
        m += g
        u *= b2
        np.multiply(g, g, out=tmp)
        u += tmp
        np.sqrt(u, out=tmp)
        tmp += self.eps / c
        np.divide(m, tmp, out=tmp)
        tmp *= k
        self.params -= tmp

    def loss(self, x, target):
        """Mean cross-entropy of the current parameters on ``x``, ``target`` (no update)."""
        logits = self.forward(x).astype(np.float64)
        m = logits.max(axis=1, keepdims=True)
        lse = (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True)))[:, 0]
        return float((lse - logits[np.arange(len(target)), target]).mean())

    def state(self):
        """Copies of the current ``(weight, bias)`` per layer."""
        return [(w.copy(), b.copy()) for w, b in zip(self.weights, self.biases)]
