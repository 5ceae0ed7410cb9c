"""The worker's kernel managers and the client they hand to papermill, ready as soon as the kernel has answered.

jupyter_client's ``wait_for_ready`` (which nbclient calls before the first cell) ends by reading IOPub until
0.2 s pass without a message, and checks the IOPub subscription with a further wait of up to 0.2 s: 0.2-0.6 s
of waiting per notebook, with nothing to wait for when the kernel was started ahead and is idle. This client
asks for ``kernel_info`` and is ready once the kernel's IOPub ``idle`` status for one of its requests has come,
and the reply to that request: the status proves the IOPub subscription is live, and since a kernel publishes on
one socket in order, nothing of the handshake can still arrive after it (nbclient ignores IOPub messages of other
requests anyway). A status published before the subscription reached the kernel is lost, so the request is
repeated, at first every 50 ms (a starting kernel's sockets connect within ~0.1 s), then less often.

The managers (:class:`Manager`, and :class:`TemplateManager` for kernels forked from a template) hand out these
clients, keep their input history in memory as nbclient's own kernels do (not in the user's shared
``~/.ipython`` database, a write per cell contended by parallel kernels), and close every client they handed out
when the kernel stops: papermill leaves a kernel it did not start, and its client, running (three threads and a
heartbeat every second, per notebook, for the worker's lifetime).
"""

from __future__ import annotations

import sys
import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager

from . import template

REPLY_WAIT = 1.0  # seconds for the reply to a request whose status has come (it was sent before the status)
RESEND = (0.05, 0.05, 0.1, 0.1, 0.2)  # seconds between requests while no status comes; then the last value


class ReadyKernelClient(AsyncKernelClient):
    """An ``AsyncKernelClient`` whose ``wait_for_ready`` waits for the kernel, never for silence."""

    @staticmethod
    async def _first(channel, seconds: float, wanted) -> dict | None:
        """The first message on ``channel`` for which ``wanted(msg)`` holds within ``seconds``, else None."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await channel.get_msg(timeout=left)
            except Empty:
                return None
            if wanted(msg):
                return msg
        return None

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        """Return once the kernel answers ``kernel_info`` on shell and IOPub; RuntimeError as jupyter_client's
        when the kernel dies first or ``timeout`` seconds pass."""
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        sent: set[str] = set()
        for attempt in range(1 << 30):
            sent.add(self.kernel_info())
            status = await self._first(self.iopub_channel, RESEND[min(attempt, len(RESEND) - 1)], lambda m: (
                m["msg_type"] == "status" and m["content"].get("execution_state") == "idle"
                and m["parent_header"].get("msg_id") in sent))
            if status is not None:
                answered = status["parent_header"]["msg_id"]
                reply = await self._first(self.shell_channel, REPLY_WAIT, lambda m: (
                    m["msg_type"] == "kernel_info_reply" and m["parent_header"].get("msg_id") == answered))
                if reply is not None:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError("Kernel didn't respond in %d seconds" % timeout)


# Arguments of every kernel: input history in memory.
KERNEL_ARGS = ("--HistoryManager.hist_file=:memory:",)


class Manager(AsyncKernelManager):
    """An ``AsyncKernelManager`` handing out :class:`ReadyKernelClient`; :meth:`close_clients` closes them."""

    relays_kill = False  # True: the kernel's process is a launcher that kills its kernel on SIGTERM

    def __init__(self, **kwargs):
        super().__init__(client_class=f"{__name__}.ReadyKernelClient", **kwargs)
        self.handed_out: list[ReadyKernelClient] = []

    def client(self, **kwargs) -> ReadyKernelClient:  # type: ignore[override]
        kc = super().client(**kwargs)
        self.handed_out.append(kc)
        return kc

    def close_clients(self) -> None:
        """Stop every client's channels (its heartbeat thread) and destroy its zmq context."""
        while self.handed_out:
            kc = self.handed_out.pop()
            try:
                kc.stop_channels()
            except Exception:  # a client half started: nothing more to close
                pass


class TemplateManager(Manager):
    """A manager whose kernel is a fork of the template listening on ``template_socket`` (see ``template``)."""

    relays_kill = True

    def __init__(self, template_socket: str, **kwargs):
        super().__init__(**kwargs)
        self.template_socket = template_socket

    def format_kernel_cmd(self, extra_arguments=None):
        # The launcher instead of ipykernel. Only the standard library, so without site-packages (-I -S).
        return [sys.executable, "-I", "-S", template.__file__, "launch", self.template_socket, "-f",
                self.connection_file, *(extra_arguments or [])]
