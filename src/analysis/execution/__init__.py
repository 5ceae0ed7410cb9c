"""Executing the notebooks: specs, parameters, cache, jobs, the worker, scheduling and the pipeline."""
