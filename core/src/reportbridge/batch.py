"""Many jobs at once: bounded concurrency per profile, results as they complete.

The public names of the batch engine (:mod:`reportbridge.engine`); ``Reports.run_many``
is the usual way in.
"""

from reportbridge.engine import JobEvent, JobOperations, JobOutcome, JobRequest, run_many

__all__ = ["JobEvent", "JobOperations", "JobOutcome", "JobRequest", "run_many"]
