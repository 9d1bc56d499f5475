"""Contract cases on what every provider must survive around the happy path.

:class:`LifecycleContract` is mixed into
:class:`~reportbridge.testing.contract.ProviderContract`; a plugin gets these cases by
subclassing that class. Each failure says what to fix. The provider's simulator must:

- declare ``fault_paths`` for "submit", "poll", "download" and, when the provider can
  cancel, "cancel" (the 429 cases inject their fault there);
- offer ``unknown_status_body()`` (a poll answer with a status the vendor never
  documented) and ``secrets()`` (every credential it accepts or issued);
- implement ``job_state(job_id)`` when the provider can cancel: where the simulated
  vendor really holds the job (a cancel that sends nothing leaves it running there).

The cases:

- 429 with ``Retry-After: 1`` on submit, poll, cancel and download is waited out (at
  least the second asked for) and the operation succeeds, without a second job;
- a profile with a wrong value for a secret setting raises ``AuthenticationError``
  whose message holds neither the wrong nor the right value;
- an unknown vendor status raises ``UnknownStatusError`` naming the provider and the
  value, never a guess such as RUNNING;
- every format a finished job offers gives a file in that format, as the simulator
  served it for that format;
- over a whole run (run, poll, wait, fetch, list, cancel, refused credentials, a
  vendor error), DEBUG logs, error messages and job references hold no secret setting
  and no simulator secret, in any of the usual encodings;
- after ``cancel`` the simulator holds the job as CANCELLED.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, quote_plus

import pytest

from reportbridge.errors import AuthenticationError, ReportBridgeError, UnknownStatusError
from reportbridge.polling import PollPolicy
from reportbridge.provider import secret_settings
from reportbridge.status import ReportStatus
from reportbridge.testing.faults import Fault
from reportbridge.testing.logs import captured_logs
from reportbridge.testing.server import Simulator

if TYPE_CHECKING:
    from reportbridge.plugins import PluginRegistry

_FAST = PollPolicy(initial=0.05, backoff=1.2, cap=0.2, jitter=0.0)
#: the Retry-After the 429 cases send, and the least gap accepted before the retry
RETRY_AFTER = 1.0
_GAP = RETRY_AFTER * 0.9  # the simulator stamps a request after answering it
#: shorter values are not searched for (they would match by chance)
MIN_SECRET = 6
#: a job that runs this long is still running when the cancel case cancels it
LONG_JOB = 60.0


def secret_forms(secret: str) -> dict[str, str]:
    """``secret`` as is and in the encodings a careless plugin might print it."""
    raw = secret.encode()
    return {
        "as is": secret,
        "percent-encoded": quote(secret, safe=""),
        "form-encoded": quote_plus(secret),
        "base64": base64.b64encode(raw).decode().rstrip("="),
        "url-safe base64": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "JSON-escaped": json.dumps(secret)[1:-1],
        "hex": raw.hex(),
    }


def wrong_value(value: str) -> str:
    """``value`` with its last characters changed within their kind (digit, lower or
    upper case letter): a credential of the right shape that the vendor refuses."""
    chars = list(value)
    changed = 0
    for i in range(len(chars) - 1, -1, -1):
        c = chars[i]
        for alphabet in ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
            if c in alphabet:
                chars[i] = alphabet[(alphabet.index(c) + 1) % len(alphabet)]
                changed += 1
                break
        if changed == 4:
            break
    wrong = "".join(chars)
    return wrong if wrong != value else value + "0"


class LifecycleContract:
    """The lifecycle cases of the shared contract (see the module docstring)."""

    # declared by ProviderContract
    provider_name: ClassVar[str]
    report_type: ClassVar[str]
    params: ClassVar[dict[str, Any]]
    fetch_format: ClassVar[str | None]
    simulator_options: ClassVar[dict[str, Any]]

    def profiles(self, simulator: Simulator) -> dict[str, dict[str, Any]]:
        raise NotImplementedError  # ProviderContract.profiles

    # -- helpers ---------------------------------------------------------------------------
    def fault_path(self, simulator: Simulator, kind: str) -> tuple[str, str]:
        """(method, path regex) of the simulator's ``kind`` requests; fails when undeclared."""
        if kind not in simulator.fault_paths:
            pytest.fail(
                f"the {self.provider_name} simulator declares no {kind!r} fault path: add "
                f"fault_paths[{kind!r}] = (METHOD, PATH_REGEX, ORIGIN) to it"
            )
        method, path, _origin = simulator.fault_paths[kind]
        return method, path

    def _reports(self, simulator: Simulator, registry: PluginRegistry, **changes: Any) -> Any:
        from reportbridge.facade import Reports

        profiles = self.profiles(simulator)
        profiles["contract"].update(changes)
        return Reports.from_profiles(profiles, registry=registry)

    def _secret_values(self, simulator: Simulator, registry: PluginRegistry) -> dict[str, str]:
        """Description -> value of every credential the run may meet."""
        provider = registry.provider(self.provider_name)
        settings = self.profiles(simulator)["contract"]
        found = {
            f"setting {name}": settings[name]
            for name in secret_settings(provider.settings_type)
            if isinstance(settings.get(name), str)
        }
        for n, secret in enumerate(simulator.secrets()):
            if secret not in found.values():
                found[f"simulator secret #{n}"] = secret
        return {k: v for k, v in found.items() if len(v) >= MIN_SECRET}

    # -- 429 and Retry-After on every operation --------------------------------------------
    @pytest.mark.parametrize("operation", ["submit", "poll", "cancel", "download"])
    def test_rate_limited_operation_waits_as_told_and_succeeds(
        self,
        reports: Any,
        simulator: Simulator,
        registry: PluginRegistry,
        operation: str,
        tmp_path: Any,
    ) -> None:
        caps = registry.provider(self.provider_name).capabilities()
        if operation == "cancel" and not caps.cancel:
            pytest.skip(f"{self.provider_name} cannot cancel (its refusal is checked elsewhere)")
        with contextlib.ExitStack() as stack:
            if operation == "cancel":
                # a job that outlives the test, so the cancel must reach the vendor
                sim = registry.provider(self.provider_name).simulator(
                    **{**self.simulator_options, "job_seconds": LONG_JOB}
                )
                assert sim is not None
                simulator = stack.enter_context(sim)
                reports = stack.enter_context(self._reports(simulator, registry))
            self._check_rate_limited(reports, simulator, operation, tmp_path)

    def _check_rate_limited(
        self, reports: Any, simulator: Simulator, operation: str, tmp_path: Any
    ) -> None:
        method, path = self.fault_path(simulator, operation)
        job = None
        if operation in ("poll", "cancel"):
            job = reports.run("contract", self.report_type, **self.params)
        elif operation == "download":
            job = reports.wait(
                reports.run("contract", self.report_type, **self.params), timeout=30, policy=_FAST
            )
        try:
            created_before = simulator.jobs_created()
        except NotImplementedError:
            created_before = None
        label = f"contract-429-{operation}"
        simulator.faults.add(
            Fault(path=path, method=method, status=429, retry_after="1", label=label)
        )
        try:
            if operation == "submit":
                job = reports.run("contract", self.report_type, **self.params)
            elif operation == "poll":
                reports.poll(job)
            elif operation == "cancel":
                reports.cancel(job)
            else:
                reports.fetch(job, tmp_path, format=self.fetch_format)
        except ReportBridgeError as exc:
            pytest.fail(
                f"{operation} answered once with HTTP 429 and Retry-After: 1 must wait that "
                f"second and succeed, but raised {type(exc).__name__}: {exc}. Send every "
                "request through ctx.http(...) (its client retries 429 as asked) and do not "
                "turn a 429 into an error before it has"
            )
        assert simulator.faults.injected.get(label), (
            f"the {operation} fault never met a request: check fault_paths[{operation!r}]"
        )
        seen = [
            r for r in simulator.requests if r.method == method.upper() and re.search(path, r.path)
        ]
        refused = next(i for i, r in enumerate(seen) if r.status == 429)
        assert refused + 1 < len(seen), f"{operation} was not sent again after the 429"
        gap = seen[refused + 1].at - seen[refused].at
        assert gap >= _GAP, (
            f"{operation} was sent again {gap:.2f} s after a 429 that asked for "
            f"{RETRY_AFTER:g} s: honour Retry-After (the core client does, when every "
            "request goes through ctx.http)"
        )
        if operation == "submit" and created_before is not None:
            assert simulator.jobs_created() == created_before + 1, (
                "a submit answered 429 created more than one job"
            )

    # -- refused credentials ---------------------------------------------------------------
    def test_refused_credentials_raise_authentication_error_without_the_secret(
        self, simulator: Simulator, registry: PluginRegistry
    ) -> None:
        provider = registry.provider(self.provider_name)
        settings = self.profiles(simulator)["contract"]
        names = [n for n in secret_settings(provider.settings_type) if settings.get(n)]
        if not names:
            pytest.skip(f"{self.provider_name} has no secret settings")
        for name in names:
            right = str(settings[name])
            wrong = wrong_value(right)
            with self._reports(simulator, registry, **{name: wrong}) as refused:
                try:
                    refused.run("contract", self.report_type, **self.params)
                except AuthenticationError as exc:
                    error: AuthenticationError = exc
                except ReportBridgeError as exc:
                    pytest.fail(
                        f"a profile whose {name} is wrong must raise AuthenticationError, "
                        f"got {type(exc).__name__}: {exc}. Turn the vendor's 401 (or its "
                        "own refusal) into AuthenticationError, e.g. with "
                        "reportbridge.errors.error_for_status"
                    )
                else:
                    pytest.fail(f"a profile whose {name} is wrong ran a job: nothing refused it")
            text = f"{error} {error!r}"
            leaked = [
                f"the {which} {name} ({form})"
                for which, value in (("wrong", wrong), ("right", right))
                for form, shape in secret_forms(value).items()
                if len(value) >= MIN_SECRET and shape in text
            ]
            assert not leaked, (
                f"the AuthenticationError message shows {', '.join(leaked)}: name the "
                "setting, never its value"
            )
            assert error.provider == self.provider_name or self.provider_name in text, (
                "the AuthenticationError names the provider (its provider= keyword)"
            )

    # -- an unknown vendor status ----------------------------------------------------------
    def test_unknown_vendor_status_is_an_error_naming_it(
        self, reports: Any, simulator: Simulator
    ) -> None:
        body = simulator.unknown_status_body()
        if body is None:
            pytest.fail(
                f"the {self.provider_name} simulator offers no unknown_status_body(): return "
                "a poll answer carrying a status the vendor never documented"
            )
        method, path = self.fault_path(simulator, "poll")
        job = reports.run("contract", self.report_type, **self.params)
        label = "contract-unknown-status"
        simulator.faults.add(
            Fault(path=path, method=method, status=200, body=body, times=None, label=label)
        )
        try:
            seen = reports.poll(job)
        except UnknownStatusError as exc:
            text = str(exc)
            assert self.provider_name in text, f"the error names the provider: {text}"
            assert str(exc.raw) and str(exc.raw) in body.decode("utf-8", "replace"), (
                f"UnknownStatusError.raw ({exc.raw!r}) is the vendor's value as it came"
            )
            assert str(exc.raw) in text, f"the error names the vendor's value: {text}"
        except ReportBridgeError as exc:
            pytest.fail(
                f"a poll answered with an undocumented status raised {type(exc).__name__}: "
                f"{exc}; map statuses with reportbridge.StatusMap, whose UnknownStatusError "
                "names the provider and the value"
            )
        else:
            pytest.fail(
                f"a poll answered with an undocumented status returned {seen.status.value} "
                f"(vendor status {seen.provider_status!r}): an unknown status must raise "
                "UnknownStatusError naming the provider and the value (map statuses with "
                "reportbridge.StatusMap), never be guessed"
            )
        assert simulator.faults.injected.get(label), "the unknown status never met a poll"

    # -- every format ----------------------------------------------------------------------
    def test_every_format_offered_gives_that_format(
        self, reports: Any, simulator: Simulator, registry: PluginRegistry, tmp_path: Any
    ) -> None:
        done = reports.wait(
            reports.run("contract", self.report_type, **self.params), timeout=30, policy=_FAST
        )
        assert done.status.is_fetchable, done
        caps = registry.provider(self.provider_name).capabilities()
        spec = caps.report_type(done.report_type)
        formats = list(done.formats or (spec.formats if spec is not None else ()))
        if len(formats) < 2:
            pytest.skip(f"this {self.provider_name} job offers one format ({formats})")
        firsts: dict[str, str] = {}
        for fmt in formats:
            files = reports.fetch(done, tmp_path / fmt, format=fmt)
            assert files, f"no file for format {fmt}"
            for f in files:
                assert f.format == fmt, f"asked for {fmt}, got a {f.format} file"
                single = f.part in (None, f.format)
                served = simulator.served_sha256(
                    done.job_id, fmt, **({} if single else {"part": f.part})
                )
                assert f.sha256 == served, (
                    f"the {fmt} file ({f.path.name}) is not what the simulator serves as "
                    f"{fmt}: open_file/open_part must ask the vendor for the format requested"
                )
            firsts[fmt] = files[0].sha256
        assert len(set(firsts.values())) == len(firsts), (
            f"formats {sorted(firsts)} gave identical files: each must be fetched in its format"
        )

    # -- no secret anywhere ----------------------------------------------------------------
    def test_no_secret_in_any_error_log_line_or_reference(
        self, simulator: Simulator, registry: PluginRegistry, tmp_path: Any
    ) -> None:
        caps = registry.provider(self.provider_name).capabilities()
        errors: list[BaseException] = []
        refs: list[str] = []
        with captured_logs() as logs:
            with self._reports(simulator, registry) as reports:
                job = reports.run("contract", self.report_type, **self.params)
                refs.append(job.ref)
                done = reports.wait(job, timeout=30, policy=_FAST)
                refs.append(done.ref)
                reports.fetch(done, tmp_path, format=self.fetch_format)
                if caps.list:
                    refs += [j.ref for j in reports.list("contract", limit=20)]
                if caps.cancel:
                    other = reports.run("contract", self.report_type, **self.params)
                    with contextlib.suppress(ReportBridgeError):
                        refs.append(reports.cancel(other).ref)
                simulator.expire_tokens()  # a refreshed token must stay out of logs too
                method, path = self.fault_path(simulator, "poll")
                simulator.faults.add(Fault(path=path, method=method, status=403))
                try:
                    reports.poll(done)
                except ReportBridgeError as exc:
                    errors.append(exc)
            provider = registry.provider(self.provider_name)
            settings = self.profiles(simulator)["contract"]
            for name in secret_settings(provider.settings_type):
                if not isinstance(settings.get(name), str):
                    continue
                with self._reports(
                    simulator, registry, **{name: wrong_value(settings[name])}
                ) as refused:
                    try:
                        refused.run("contract", self.report_type, **self.params)
                    except ReportBridgeError as exc:
                        errors.append(exc)
        secrets = self._secret_values(simulator, registry)
        for name in secret_settings(registry.provider(self.provider_name).settings_type):
            value = self.profiles(simulator)["contract"].get(name)
            if isinstance(value, str) and len(value) >= MIN_SECRET:
                secrets[f"wrong {name}"] = wrong_value(value)
        places = {"the DEBUG log": logs.getvalue()}
        for n, error in enumerate(errors):
            places[f"error #{n} ({type(error).__name__})"] = "\n".join(_error_texts(error))
        for n, ref in enumerate(refs):
            places[f"job reference #{n}"] = ref + "\n" + _decoded_ref(ref)
        leaked = []
        for what, value in secrets.items():
            for place, text in places.items():
                forms = [form for form, shape in secret_forms(value).items() if shape in text]
                if forms:
                    leaked.append(f"{what} in {place} ({', '.join(forms)})")
        assert not leaked, (
            "secrets reached logs, errors or references: "
            + "; ".join(leaked)
            + ". Declare credentials with reportbridge.provider.secret_field(), build error "
            "messages from names (never values), pass vendor text through "
            "reportbridge.logging.redact_text, keep credentials out of ReportJob.extra"
        )

    # -- a cancel that stops the job -------------------------------------------------------
    def test_cancel_really_stops_the_job(self, registry: PluginRegistry) -> None:
        provider = registry.provider(self.provider_name)
        if not provider.capabilities().cancel:
            pytest.skip(f"{self.provider_name} cannot cancel (its refusal is checked elsewhere)")
        sim = provider.simulator(**{**self.simulator_options, "job_seconds": LONG_JOB})
        assert sim is not None
        with sim, self._reports(sim, registry) as reports:
            job = reports.run("contract", self.report_type, **self.params)
            try:
                before = sim.job_state(job.job_id)
            except NotImplementedError as exc:
                pytest.fail(f"{exc} (the cancel case checks the vendor's side with it)")
            assert not before.is_terminal, (
                f"a {LONG_JOB:g}-second job is {before.value} at once: the simulator must "
                "honour job_seconds"
            )
            cancelled = reports.cancel(job)
            final = reports.wait(cancelled, timeout=30, policy=_FAST)
            after = sim.job_state(job.job_id)
        assert after is ReportStatus.CANCELLED, (
            f"after cancel the vendor still holds job {job.job_id} as {after.value}: "
            "ProviderSession.cancel must send the vendor's cancel request (and raise a typed "
            "error when the vendor refuses), not only return a CANCELLED record"
        )
        assert final.status is ReportStatus.CANCELLED, (
            f"a cancelled job ended {final.status.value}: map the vendor's cancelled state "
            "to ReportStatus.CANCELLED"
        )


def _error_texts(exc: BaseException) -> Iterator[str]:
    """The message, repr and arguments of an error and of every error behind it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield from (repr(a) for a in current.args)
        yield from (repr(v) for v in vars(current).values())
        current = current.__cause__ or current.__context__


def _decoded_ref(ref: str) -> str:
    body = ref.split(".", 1)[-1]
    with contextlib.suppress(ValueError):
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8", "replace")
    return ""


__all__ = ["LifecycleContract", "secret_forms", "wrong_value"]
