"""backend/cli/interrupts.py: Ctrl+C and SIGTERM stop the run, but never halfway through a write."""

from __future__ import annotations

import signal

import pytest

from backend.cli.interrupts import Interrupts


@pytest.fixture
def interrupts():
    handling = Interrupts()
    restore = handling.install()
    yield handling
    restore()


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_outside_a_held_block_interrupts_at_once(interrupts, number):
    reached = []
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(number)
        reached.append("after")
    assert reached == []


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_inside_a_held_block_waits_for_the_block_to_end(interrupts, number):
    done = []
    with pytest.raises(KeyboardInterrupt), interrupts.held():
        signal.raise_signal(number)
        with interrupts.held():  # nested: still held until the outer block ends
            done.append("inner")
        done.append("outer")
    assert done == ["inner", "outer"]
    with interrupts.held():  # the interrupt was spent: the next block runs through
        done.append("next")
    assert done[-1] == "next"


def test_the_old_handlers_come_back():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    restore = Interrupts().install()
    assert signal.getsignal(signal.SIGINT) != before[0]
    restore()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
