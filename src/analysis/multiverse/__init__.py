"""Specification curves (issue 10): every defensible specification of each headline hypothesis, estimated.

Modules, one concern each:

- ``choices``   the values every dimension may take (what the estimators understand)
- ``space``     the declared spaces (``hypotheses/spaces/<family>.toml``): loading, checking, enumerating the grid
                with its documented exclusions ("skip X because Y") and the accounting of its size
- ``tasks``     picklable estimation tasks and the seeds / shared bootstrap weights; one module per family
                (``firm_tasks``, ``industry_tasks``, ``country_tasks``) reusing the estimators of ``models``
- ``dispatch``  the family -> module table and ``run_task``, the function an executor runs
- ``workers``   start-up of local worker processes (one BLAS thread each)
- ``engine``    enumerate -> tasks -> any ``concurrent.futures.Executor`` -> the tidy table with verdicts
- ``nulltest``  the inferential specification-curve test (Simonsohn, Simmons & Nelson 2020)
- ``table``     verdict shares per hypothesis and the exported tables (the columns h5 and the site show)
- ``figure``    the specification-curve figure
- ``curves``    every hypothesis' figure drawn and saved, on the local pool's forked workers or in-process
- ``params``    the parameters of ``h6_specification_curves``
- ``memo``      one estimate shared by h5 and h6 (``run_shared``: stored under the key of its inputs and code)

Typical use::

    from analysis import multiverse
    mv = multiverse.run(["F1", "C1b"], fix={"lag": 0}, reps=999)            # local process pool
    mv = multiverse.run(executor=distributed.Client(cluster).get_executor())  # a Dask cluster
"""


def __getattr__(name: str):
    # lazy, so that a worker process importing ``multiverse.workers`` loads no numpy before its thread limits
    if name in ("run", "Multiverse"):
        from . import engine

        return getattr(engine, name)
    if name == "run_shared":
        from . import memo

        return memo.run_shared
    raise AttributeError(name)
