"""The stages one unit of work passes through, in data-flow order:

    schedule → limiter → gate → client → parse → store
                         └── harvest (a synchronous window) and flows/ (report state machines)
                             drive the stages for one unit; the worker runs them as Celery tasks.

A stage imports only the stages below it in `pyproject.toml`'s import contracts.
"""
