"""An offline simulator of SailPoint's Reports Data Extraction API (see ``server``)."""

from reportbridge_sailpoint.simulator.server import SailPointSimulator

__all__ = ["SailPointSimulator"]
