"""Injected faults, so clients can be tested against an unreliable WB."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class Faults:
    """error_rate: share of data requests answered 503; malformed_rate: share answered 200 with a
    truncated body; latency_ms: real delay before each data answer; cancel_rate: share of
    async report tasks (paid storage, acceptance) that end `canceled`; report_fail_rate: share of
    CSV report generations (nm-report downloads, retries included) that end `FAILED`."""

    error_rate: float = 0.0
    malformed_rate: float = 0.0
    latency_ms: float = 0.0
    cancel_rate: float = 0.0
    report_fail_rate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("error_rate", "malformed_rate", "cancel_rate", "report_fail_rate"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number between 0 and 1")
        if not isinstance(self.latency_ms, int | float) or isinstance(self.latency_ms, bool) or self.latency_ms < 0:
            raise ValueError("latency_ms must be a non-negative number")

    def updated(self, changes: dict) -> Faults:
        """A copy with some fields changed; ValueError on unknown fields or bad values."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return Faults(**{**asdict(self), **changes})

    def as_dict(self) -> dict:
        return asdict(self)
