"""collector: phases pause the cyclic collector, freeze their survivors, and resume."""

from __future__ import annotations

import gc

import pytest

from reconciler.collector import paused, thaw


def test_a_pause_resumes_and_freezes_even_on_error() -> None:
    thaw()
    with pytest.raises(RuntimeError), paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    thaw()
    assert gc.get_freeze_count() == 0
