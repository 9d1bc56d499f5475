"""A provider's settings: a profile's table structured into the provider's settings class,
and which of its settings hold credentials (kept out of logs, errors and references).

:meth:`Provider.parse_settings <reportbridge.provider.Provider.parse_settings>` calls
:func:`structure_settings`; a settings class marks a credential with :func:`secret_field`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from reportbridge.errors import ConfigurationError, PluginSpecError, accepted
from reportbridge.logging import register_secret

if TYPE_CHECKING:
    import cattrs


#: the metadata key :func:`secret_field` sets on a settings field
SECRET = "secret"  # noqa: S105 - a metadata key, not a credential

#: setting names that hold a credential (besides fields marked secret, or ``repr=False``)
_SECRET_NAME = re.compile(
    r"(^|_)(secret|token|password|passwd|passphrase|api_?key|private_?key|credentials?)$",
    re.IGNORECASE,
)


@functools.cache
def _settings_converter() -> cattrs.Converter:
    import cattrs  # loaded when a profile is first read, not by `import reportbridge`

    conv = cattrs.Converter(forbid_extra_keys=True)
    # cattrs would turn ["x"] into the string "['x']" and "false" into True: settings
    # take only values of their own type (an int may stand for a float).
    conv.register_structure_hook(str, _strict(str))
    conv.register_structure_hook(bool, _strict(bool))
    conv.register_structure_hook(int, _strict(int))
    conv.register_structure_hook(float, _strict(float))
    return conv


def _strict(kind: type) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _type: Any) -> Any:
        ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok, value = True, float(value)
        if kind is float and ok and not math.isfinite(value):
            ok = False
        if not ok:  # the message names the type expected, never the value
            raise ValueError(f"expected a {kind.__name__}")
        return value

    return structure


def secret_field(*, default: Any = attrs.NOTHING, **kwargs: Any) -> Any:
    """A field of a provider's settings class that holds a credential, whatever its name.

    Use it in place of ``attrs.field`` (it takes the same keywords)::

        @attrs.frozen
        class AcmeSettings:
            base_url: str
            api_key: str = secret_field()
            pin: str = secret_field()

    For such a field the core:

    - accepts only a string (quoted in TOML, or ``"${ENV_VAR}"``); anything else is a
      :class:`~reportbridge.errors.ConfigurationError` that names the field, never the value;
    - registers the value for redaction as soon as the profile is read
      (:func:`reportbridge.logging.register_secret`): it is replaced by ``[REDACTED]`` in
      every log event and in every text passed through
      :func:`~reportbridge.logging.redact_text` (error bodies, tracebacks the CLI shows);
    - leaves it out of the settings' ``repr`` (so out of ``repr(ctx)`` too);
    - and the shared contract checks it appears in no error, log line or job reference.
    """
    metadata = {**(kwargs.pop("metadata", None) or {}), SECRET: True}
    return attrs.field(default=default, repr=False, metadata=metadata, **kwargs)


def is_secret_setting(field: attrs.Attribute[Any]) -> bool:
    """Whether a settings field holds a credential: made with :func:`secret_field`
    (``metadata={"secret": True}``), hidden from repr, or named like one (client_secret,
    token, password, api_key...)."""
    return bool(
        field.metadata.get(SECRET) or field.repr is False or _SECRET_NAME.search(field.name)
    )


def secret_settings(settings_type: type) -> list[str]:
    """The names of ``settings_type``'s fields that hold credentials (:func:`is_secret_setting`)."""
    return [f.name for f in attrs.fields(settings_type) if is_secret_setting(f)]


def register_setting_secrets(settings: Any) -> None:
    """Register the value of every secret field of ``settings`` (an attrs instance, as
    :meth:`~reportbridge.provider.Provider.parse_settings` returns) for redaction. The
    façade calls it on every profile it reads, so a provider that parses settings its own
    way is covered too."""
    if not attrs.has(type(settings)):
        return
    for field in attrs.fields(type(settings)):
        value = getattr(settings, field.name, None)
        if is_secret_setting(field) and isinstance(value, str):
            register_secret(value)


def setting_names(settings_type: type) -> list[str]:
    return [a.name for a in attrs.fields(settings_type)]


def structure_settings(
    provider: str, profile: str, settings_type: type, raw: Mapping[str, Any]
) -> Any:
    names = setting_names(settings_type)
    where = f"profile {profile!r} (provider {provider!r})"
    unknown = sorted(set(raw) - set(names))
    if unknown:
        raise ConfigurationError(
            f"{where} has unknown setting(s) {', '.join(unknown)}; accepted: {accepted(names)}",
            provider=provider,
        )
    for field in attrs.fields(settings_type):
        value = raw.get(field.name)
        if field.metadata.get(SECRET) and field.repr is not False:
            raise PluginSpecError(
                f"provider {provider!r}: setting {field.name} is marked secret but shown by "
                "repr; declare it with reportbridge.provider.secret_field()",
                provider=provider,
            )
        if not is_secret_setting(field) or value is None:
            continue
        if not isinstance(value, str):
            raise ConfigurationError(  # the type only: never the value of a secret
                f"{where}: setting {field.name} is a secret and takes a string (quoted, or "
                f'"${{ENV_VAR}}"), not a {_toml_type(value)}',
                provider=provider,
            )
        register_secret(value)  # before anything else can fail and print the table
    required = [a.name for a in attrs.fields(settings_type) if a.default is attrs.NOTHING]
    missing = [n for n in required if raw.get(n) in (None, "")]
    if missing:
        raise ConfigurationError(
            f"{where} is missing required setting(s) {', '.join(missing)}",
            provider=provider,
        )
    import cattrs

    try:
        return _settings_converter().structure(dict(raw), settings_type)
    except cattrs.BaseValidationError as exc:
        problems = "; ".join(_describe(e) for e in cattrs.transform_error(exc))
        raise ConfigurationError(
            f"{where} has a bad setting: {problems}",
            provider=provider,
        ) from None
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"{where} has a bad setting: {exc}",
            provider=provider,
        ) from None


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "table"
    return type(value).__name__


def _describe(text: str) -> str:
    # cattrs says "invalid value for type, expected int @ $.port"; never echo the value.
    return text.replace("$.", "")


__all__ = [
    "SECRET",
    "is_secret_setting",
    "register_setting_secrets",
    "secret_field",
    "secret_settings",
    "setting_names",
    "structure_settings",
]
