"""Specification curves (issue 10): every defensible specification of each headline hypothesis, estimated.

Modules, one concern each:

- ``choices``  the values every dimension may take (what the estimators understand)
- ``space``    the declared spaces (``hypotheses/spaces/<family>.toml``): loading, checking, enumerating the grid
               with its documented exclusions
"""
