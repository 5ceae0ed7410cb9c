"""Which module estimates which family, and the task function an executor runs.

The family modules are imported here by name (not looked up at run time), so the static import graph that
keys the notebook cache (``analysis.execution.codegraph``) sees every module a run executes.
"""

from __future__ import annotations

from . import country_tasks, firm_tasks, industry_tasks
from .tasks import Task

MODULES = {"firm": firm_tasks, "industry": industry_tasks, "country": country_tasks}


def module(family: str):
    """The estimation module of ``family``."""
    return MODULES[family]


def run_task(task: Task) -> tuple[list[dict], dict]:
    """Estimate every specification of ``task``: (result rows, {spec_id: (null estimates, null p-values)})."""
    return MODULES[task.family].estimate(task)
