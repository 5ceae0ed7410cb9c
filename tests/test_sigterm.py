"""SIGTERM during a run: KeyboardInterrupt in the commanding process only, and the previous handler restored."""

from __future__ import annotations

import argparse
import os
import signal

import pytest

from analysis import cli
from analysis.execution import commands


def test_handler_is_restored_after_a_command():
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["run", "no_such_notebook"]) == 2  # fails while planning, inside the wrapped command
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_during_a_command_exits_on_sigterm_instead_of_unwinding():
    seen = {}

    @commands._sigterm_as_interrupt
    def command(args: argparse.Namespace) -> int:
        pid = os.fork()
        if pid == 0:  # a pool worker before its initializer ran: it must exit, not raise into our frames
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                signal.pause()
            finally:
                os._exit(3)  # reached only if SIGTERM raised instead of exiting
        seen["status"] = os.waitpid(pid, 0)[1]
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            signal.pause()
        except KeyboardInterrupt:
            seen["parent"] = "KeyboardInterrupt"
        return 0

    assert command(argparse.Namespace()) == 0
    assert os.waitstatus_to_exitcode(seen["status"]) == 128 + signal.SIGTERM
    assert seen["parent"] == "KeyboardInterrupt"
