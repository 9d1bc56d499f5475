"""What Airflow learns of this provider through the ``apache_airflow_provider`` entry point.

Kept free of imports: Airflow reads it while it discovers providers (``airflow providers
list``, the connection form), before any hook or operator is imported.
"""

from __future__ import annotations

from typing import Any

from reportbridge_airflow import __version__

PACKAGE = "reportbridge-airflow"
CONN_TYPE = "reportbridge"
INTEGRATION = "reportbridge"


def _text(label: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "label": label,
        "description": description,
        "schema": {"type": ["string", "null"], **schema},
    }


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": PACKAGE,
        "name": "reportbridge",
        "description": (
            "Report jobs on many vendors (SailPoint ISC, SpaceONE, Talkdesk Explore, ...) through "
            "one lifecycle: deferrable, status-safe, checksum-verified report operators."
        ),
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://pypi.org/project/reportbridge-airflow/",
                "tags": ["service"],
            }
        ],
        "operators": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "reportbridge_airflow.operators",
                    "reportbridge_airflow.audit",
                ],
            }
        ],
        "sensors": [
            {"integration-name": INTEGRATION, "python-modules": ["reportbridge_airflow.sensors"]}
        ],
        "hooks": [
            {"integration-name": INTEGRATION, "python-modules": ["reportbridge_airflow.hooks"]}
        ],
        "triggers": [
            {"integration-name": INTEGRATION, "python-modules": ["reportbridge_airflow.triggers"]}
        ],
        "connection-types": [
            {
                "hook-class-name": "reportbridge_airflow.hooks.ReportBridgeHook",
                "hook-name": "reportbridge",
                "connection-type": CONN_TYPE,
                "conn-fields": {
                    "provider": _text(
                        "Provider",
                        "reportbridge provider name (see `reportbridge providers`), e.g. "
                        "sailpoint; or leave empty and name a config file",
                    ),
                    "config_file": _text(
                        "Config file",
                        "path of a reportbridge.toml on the workers and triggerer; its profile "
                        "is used instead of the fields above",
                    ),
                    "profile": _text(
                        "Profile",
                        "profile name (in the config file, or the name job references carry; "
                        "default: the connection id)",
                    ),
                    "login_setting": _text(
                        "Login setting", "provider setting the Login fills (default: client_id)"
                    ),
                    "password_setting": _text(
                        "Password setting",
                        "provider setting the Password fills (default: the provider's only "
                        "secret setting, e.g. client_secret or token)",
                    ),
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {
                        "host": "Base URL",
                        "login": "Client ID",
                        "password": "Client secret or token",
                    },
                    "placeholders": {
                        "host": "https://acme.api.identitynow.com",
                        "extra": '{"provider": "sailpoint", "max_active_jobs": 10}',
                    },
                },
            }
        ],
    }
