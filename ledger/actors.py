"""Who does something: a staff member, an enterprise (logged in on the chat page), or the system."""
from __future__ import annotations

from dataclasses import dataclass

STAFF_ROLES = ("leader", "cadre", "admin")
ROLE_LABELS = {"leader": "领导干部", "cadre": "干部", "admin": "管理员", "enterprise": "企业", "system": "系统",
               "claimant": "群众"}


@dataclass(frozen=True)
class Actor:
    ident: str            # staff login, credit code, phone, or "system"
    role: str             # leader / cadre / admin / enterprise / claimant / system
    name: str
    staff_id: int | None = None
    office: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @classmethod
    def from_staff(cls, row: dict) -> "Actor":
        return cls(row["login"], row["role"], row["name"], row["id"], row["office"])

    @classmethod
    def enterprise(cls, credit_code: str, name: str = "") -> "Actor":
        return cls(credit_code, "enterprise", name or credit_code)

    @classmethod
    def claimant(cls, phone: str, name: str = "") -> "Actor":
        return cls(phone, "claimant", name or phone)


SYSTEM = Actor("system", "system", "系统")
