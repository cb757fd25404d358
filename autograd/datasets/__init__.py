"""Data files shipped with the package: the real MNIST test set (see README.md here).

Read them with ``autograd.data.MNIST(train=False)`` or
``autograd.data.read_idx(os.path.join(autograd.data.bundled_data_dir(), ...))``.
"""
