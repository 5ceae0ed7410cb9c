"""Draw and save the specification curve of every hypothesis, one forked process per figure or in-process.

``h6_specification_curves`` draws eight curves; drawing and saving them (PNG and SVG, ~1-2 CPU-s each) one after
another in the kernel is the longest step after the multiverse itself, on the path to h5 (which the runner starts
after h6). ``save_all(mv, hypotheses, lang, outdir, workers=n)`` gives each hypothesis to a worker of the
multiverse's own local pool (``engine.default_executor``: forked where the platform can, one BLAS thread and the
process's own output streams per worker, ``multiverse.workers``); each worker draws and saves its figure with the
same code as the serial path (``draw_and_save``: ``figure.plot`` and ``plotting.save``, whose writes are atomic),
so the files are byte-identical whatever ``workers`` is. ``workers=1`` draws in this process, as before.

Results come back in the order of ``hypotheses``; a figure that fails raises ``CurveError`` naming its hypothesis
(the first failing one in that order, with the worker's traceback as its cause), and the figures not yet started
are cancelled. A worker only gets the tables the figure reads (specifications and tests), not the null draws.
"""

from __future__ import annotations

import concurrent.futures as cf
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .. import plotting
from . import engine, figure

STEM = "spec_curve_{}"
ROUND = 10  # digits of the figure's CSV (as the notebook has always written it)


class CurveError(RuntimeError):
    """A specification curve could not be drawn or saved; ``hypothesis`` names it."""

    def __init__(self, hypothesis: str, message: str):
        super().__init__(f"specification curve of {hypothesis}: {message}")
        self.hypothesis = hypothesis


def draw_and_save(mv: engine.Multiverse, hypothesis: str, lang: str, outdir: str | Path) -> dict[str, Path]:
    """Draw ``hypothesis``'s curve (``figure.plot``) and write ``spec_curve_<hypothesis>.png/.svg/.csv`` to
    ``outdir`` (``plotting.save``); returns the paths by extension. The figure is closed either way."""
    import matplotlib.pyplot as plt

    fig, figdata = figure.plot(mv, hypothesis, lang)
    try:
        return plotting.save(fig, figdata.round(ROUND), outdir, STEM.format(hypothesis))
    finally:
        plt.close(fig)


def _figure_tables(mv: engine.Multiverse) -> engine.Multiverse:
    """The multiverse without its raw null draws (``figure.plot`` reads the table and the tests only), so that a
    worker receives a few hundred kB instead of every draw."""
    return engine.Multiverse(mv.table, mv.tests, mv.accounting, {}, {}, dict(mv.params))


def _failed(hypothesis: str, exc: BaseException, pending: list[str] | None = None) -> CurveError:
    if isinstance(exc, BrokenProcessPool):  # a worker died: which of the pending figures it held is not known
        return CurveError(hypothesis, f"a worker process died while the figures of {', '.join(pending or [])} "
                                      f"were not finished ({exc}; see the kernel's log for its output)")
    return CurveError(hypothesis, f"{type(exc).__name__}: {exc}")


def save_all(mv: engine.Multiverse, hypotheses: list[str], lang: str, outdir: str | Path, *,
             workers: int = 1) -> list[dict[str, Path]]:
    """``draw_and_save`` for each of ``hypotheses``, on ``workers`` local processes (1: in this process, one after
    another); the saved paths in the order of ``hypotheses``. Raises ``CurveError`` naming the first hypothesis
    (in that order) whose figure failed."""
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    hypotheses = list(hypotheses)
    if workers == 1 or len(hypotheses) <= 1:
        out = []
        for hyp in hypotheses:
            try:
                out.append(draw_and_save(mv, hyp, lang, outdir))
            except Exception as exc:
                raise _failed(hyp, exc) from exc
        return out
    slim = _figure_tables(mv)
    ex = engine.default_executor(min(workers, len(hypotheses)))
    try:
        futures = [ex.submit(draw_and_save, slim, hyp, lang, Path(outdir)) for hyp in hypotheses]
        out = []
        for i, (hyp, fut) in enumerate(zip(hypotheses, futures)):
            try:
                out.append(fut.result())
            except Exception as exc:
                raise _failed(hyp, exc, hypotheses[i:]) from exc
        return out
    finally:
        ex.shutdown(wait=True, cancel_futures=True)
