"""no_grad / enable_grad / set_grad_enabled: context managers, decorators, threads."""

import threading

import autograd as ag


def test_no_grad_context_and_nesting():
    x = ag.ones(2, requires_grad=True)
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2
        with ag.enable_grad():
            assert ag.is_grad_enabled()
            z = x * 2
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_decorators():
    x = ag.ones(2, requires_grad=True)

    @ag.no_grad()
    def f():
        return x * 2

    @ag.enable_grad()
    def g():
        return x * 2

    assert not f().requires_grad
    with ag.no_grad():
        assert g().requires_grad
    assert ag.is_grad_enabled()


def test_no_grad_decorator_on_generator():
    x = ag.ones(2, requires_grad=True)

    @ag.no_grad()
    def gen():
        for _ in range(2):
            yield (x * 2).requires_grad

    assert list(gen()) == [False, False]
    assert ag.is_grad_enabled()


def test_set_grad_enabled_call_context_and_decorator():
    x = ag.ones(2, requires_grad=True)
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ag.is_grad_enabled()
    ag.set_grad_enabled(False)
    try:
        assert not ag.is_grad_enabled()
    finally:
        ag.set_grad_enabled(True)
    assert ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def f():
        return (x * 2).requires_grad

    assert ag.is_grad_enabled()
    assert f() is False
    assert ag.is_grad_enabled()


def test_mode_restored_after_exception():
    try:
        with ag.no_grad():
            raise ValueError
    except ValueError:
        pass
    assert ag.is_grad_enabled()


def test_thread_local():
    results = {}
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        results["worker"] = ag.is_grad_enabled()
        x = ag.ones(1, requires_grad=True)
        results["recorded"] = (x * 2).requires_grad

    with ag.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        barrier.wait()
        t.join()
        assert not ag.is_grad_enabled()
    assert results == {"worker": True, "recorded": True}


def test_no_grad_update_keeps_leaf():
    w = ag.ones(3, requires_grad=True)
    (w * w).sum().backward()
    with ag.no_grad():
        w -= 0.1 * w.grad
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_bare_decorators_without_parentheses():
    # PyTorch 2.x accepts @torch.no_grad / @torch.enable_grad without the call
    x = ag.ones(2, requires_grad=True)

    @ag.no_grad
    def f(t):
        """doc of f"""
        return t * 2

    assert not f(x).requires_grad
    assert f.__name__ == "f" and f.__doc__ == "doc of f"
    assert ag.is_grad_enabled()

    @ag.enable_grad
    def g(t):
        return t * 2

    @ag.no_grad
    def gen(t):
        yield t * 2

    with ag.no_grad():
        assert g(x).requires_grad
        assert not ag.is_grad_enabled()
    assert not next(gen(x)).requires_grad
    # the context-manager and called-decorator forms are unchanged
    assert isinstance(ag.no_grad(), ag.no_grad)
    with ag.enable_grad():
        assert ag.is_grad_enabled()
