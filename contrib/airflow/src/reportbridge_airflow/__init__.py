"""Apache Airflow provider for reportbridge (distribution ``reportbridge-airflow``).

- :class:`~reportbridge_airflow.hooks.ReportBridgeHook` over a ``reportbridge`` connection;
- :class:`~reportbridge_airflow.operators.RunReportOperator`: submit, defer, fetch, verified;
- :class:`~reportbridge_airflow.sensors.ReportSensor`: wait for a job started elsewhere;
- :class:`~reportbridge_airflow.triggers.ReportTrigger`: the wait, in the triggerer;
- :mod:`reportbridge_airflow.audit`: an audit plan as mapped tasks, assembled into a bundle.

Nothing here is imported by ``reportbridge``; Airflow loads it through the
``apache_airflow_provider`` entry point.
"""

__version__ = "0.1.0.dev0"
