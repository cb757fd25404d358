"""Runnable examples: ``python -m autograd.examples.mnist`` trains an MLP on MNIST digits."""
