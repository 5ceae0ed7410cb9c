"""Which module estimates which family, and the task function an executor runs.

The family modules are imported by name in :func:`module` (not looked up from a string), so the static import
graph that keys the notebook cache (``analysis.execution.codegraph``, which sees imports inside functions) sees
every module a run executes; importing them on first use keeps ``multiverse.params``, h6's validate hook, free of
the estimation stack (statsmodels, scipy), which the runner would otherwise import before any kernel starts.
"""

from __future__ import annotations

from types import ModuleType

from .tasks import Task

def module(family: str) -> ModuleType:
    """The estimation module of ``family``."""
    if family == "firm":
        from . import firm_tasks as mod
    elif family == "industry":
        from . import industry_tasks as mod
    elif family == "country":
        from . import country_tasks as mod
    else:
        raise KeyError(family)
    return mod


def run_task(task: Task) -> tuple[list[dict], dict]:
    """Estimate every specification of ``task``: (result rows, {spec_id: (null estimates, null p-values)})."""
    return module(task.family).estimate(task)
