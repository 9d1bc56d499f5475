"""Cross-vendor audits: a plan of jobs, run into a verified, resumable bundle."""

from reportbridge.audit.bundle import VerifyResult, verify_bundle
from reportbridge.audit.plan import AuditPlan, PlannedJob, load_plan, parse_plan
from reportbridge.audit.runner import AuditResult, run_audit

__all__ = [
    "AuditPlan",
    "AuditResult",
    "PlannedJob",
    "VerifyResult",
    "load_plan",
    "parse_plan",
    "run_audit",
    "verify_bundle",
]
