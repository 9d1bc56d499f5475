"""Tools for testing reportbridge and its plugins: simulator servers and fault injection.

Third-party plugin authors get the same kit: subclass :class:`Simulator`, add
routes, and use the pytest fixtures from :mod:`reportbridge.testing.pytest_plugin`.
"""

from reportbridge.testing.faults import Fault, FaultPlan
from reportbridge.testing.files import SyntheticFile
from reportbridge.testing.logs import captured_logs
from reportbridge.testing.server import Request, Response, Simulator, route

__all__ = [
    "Fault",
    "FaultPlan",
    "Request",
    "Response",
    "Simulator",
    "SyntheticFile",
    "captured_logs",
    "route",
]
