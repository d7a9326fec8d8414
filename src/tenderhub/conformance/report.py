"""The conformance report: one ``Check`` per requirement, each with its spec section."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SPEC = "docs/conformance.md"
PASS, FAIL, SKIP = "pass", "fail", "skip"


@dataclass
class Check:
    id: str
    title: str
    spec: str
    status: str = PASS
    why: str = ""
    details: list[str] = field(default_factory=list)

    def fail(self, why: str, details: list[str] | None = None) -> Check:
        self.status, self.why, self.details = FAIL, why, (details or [])[:20]
        return self

    def skip(self, why: str) -> Check:
        self.status, self.why = SKIP, why
        return self

    def ok(self, why: str) -> Check:
        self.status, self.why = PASS, why
        return self


@dataclass
class Report:
    platform: str
    platform_id: str = ""
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """Certified only when every check passed (a skipped check is not a pass)."""
        return bool(self.checks) and all(c.status == PASS for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "platform_id": self.platform_id, "passed": self.passed,
                "checks": [asdict(c) for c in self.checks], "seconds": round(self.seconds, 3)}

    def lines(self) -> list[str]:
        marks = {PASS: "✓", FAIL: "✗", SKIP: "–"}
        out = [f"tenderhub certify {self.platform} ({self.platform_id or 'unknown platform'})"]
        for c in self.checks:
            out.append(f"{marks[c.status]} {c.id:<22} {c.status:<4}  {c.why}   [{c.spec}]")
            out += [f"      {d}" for d in c.details]
        verdict = "通过 / PASSED" if self.passed else "未通过 / NOT PASSED"
        out.append(f"{verdict}: {sum(c.status == PASS for c in self.checks)}/{len(self.checks)} checks passed in {self.seconds:.2f} s")
        return out


def spec(section: str) -> str:
    return f"{SPEC}#{section}"
