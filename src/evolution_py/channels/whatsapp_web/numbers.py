"""`/chat/whatsappNumbers` and the number check other operations reuse (group create).

Pure halves (`plan_number_checks`, `number_results`) say what is asked of whatsmeow and how its
answer becomes upstream's `[{jid, exists, number, name?, lid?}]`; `check_numbers` does the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsapp_web.jids import jid_str, to_jid
from evolution_py.channels.whatsapp_web.session import CallTimedOut, Session

if TYPE_CHECKING:
    from evolution_py.store.messages import MessageStore


@dataclass
class NumberCheck:
    number: str  # as the client sent it
    jid: str  # upstream's createJid of it
    kind: str  # "user" | "group" | "lid" | "broadcast"
    queries: list[str] = field(default_factory=list)  # `+<digits>` forms asked of IsOnWhatsApp


def _variants(digits: str) -> list[str]:
    """Brazil, Mexico and Argentina numbers are tried with and without the extra mobile digit."""
    out = [digits]
    if digits.startswith("55") and len(digits) == 13 and digits[4] == "9":
        out.append(digits[:4] + digits[5:])
    elif digits.startswith("55") and len(digits) == 12:
        out.append(digits[:4] + "9" + digits[4:])
    elif digits[:2] in ("52", "54") and len(digits) == 12:
        # the mobile prefix upstream tries: 1 in Mexico, 9 in Argentina
        out.append(digits[:2] + ("1" if digits.startswith("52") else "9") + digits[2:])
    return out


def plan_number_checks(numbers: list[str]) -> list[NumberCheck]:
    plans: list[NumberCheck] = []
    for number in numbers:
        jid = create_jid(number)
        if jid.endswith("@g.us"):
            plans.append(NumberCheck(number, jid, "group"))
        elif jid.endswith("@lid"):
            plans.append(NumberCheck(number, jid, "lid"))
        elif jid == "status@broadcast":
            plans.append(NumberCheck(number, jid, "broadcast"))
        else:
            digits = jid.split("@", 1)[0]
            raw = "".join(ch for ch in number.split("@", 1)[0] if ch.isdigit())
            candidates = list(dict.fromkeys(_variants(digits) + ([raw] if raw and raw != digits else [])))
            plans.append(NumberCheck(number, jid, "user", [f"+{d}" for d in candidates]))
    return plans


def _digits(value: str) -> str:
    return "".join(ch for ch in value.split("@", 1)[0] if ch.isdigit())


def user_queries(plans: list[NumberCheck]) -> list[str]:
    return list(dict.fromkeys(q for plan in plans for q in plan.queries))


def number_results(
    plans: list[NumberCheck],
    responses: list[Any],
    group_names: dict[str, str | None],
    push_names: dict[str, str | None] | None = None,
) -> list[dict[str, Any]]:
    """whatsmeow's IsOnWhatsAppResponse list (+ group subjects, None = group not reachable, + stored
    push names) → upstream's list: broadcasts first, then groups, then users, as upstream orders it."""
    push_names = push_names or {}
    # whatsmeow echoes the query as WhatsApp returns it; match on digits, or on the answered JID.
    by_digits: dict[str, Any] = {}
    for response in responses:
        for key in (_digits(response.Query), response.JID.User if response.HasField("JID") else ""):
            if key and response.IsIn:
                by_digits.setdefault(key, response)

    def item(jid: str, exists: bool, number: str, name: str | None = None, lid: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"jid": jid, "exists": exists, "number": number}
        if name is not None:
            out["name"] = name
        if lid is not None:
            out["lid"] = lid
        return out

    broadcasts = [item(p.jid, False, p.number) for p in plans if p.kind == "broadcast"]
    groups = [
        item(p.jid, group_names.get(p.jid) is not None, p.number, group_names.get(p.jid))
        for p in plans
        if p.kind == "group"
    ]
    users = []
    for plan in plans:
        if plan.kind == "lid":
            users.append(item(plan.jid, True, plan.number, push_names.get(plan.jid), "lid"))
        elif plan.kind == "user":
            found = next((by_digits[_digits(q)] for q in plan.queries if _digits(q) in by_digits), None)
            jid = (jid_str(found.JID) if found is not None else "") or plan.jid
            users.append(item(jid, found is not None, plan.number, push_names.get(jid)))
    return broadcasts + groups + users


async def _group_name(session: Session, group: Any) -> str:
    info = await session.call(lambda client: client.get_group_info(group))
    return str(info.GroupName.Name)


async def check_numbers(
    session: Session, numbers: list[str], store: MessageStore | None = None
) -> list[dict[str, Any]]:
    """`store` (the instance's MessageStore) adds the contacts' push names, as upstream does."""
    plans = plan_number_checks(numbers)
    queries = user_queries(plans)
    responses = list(await session.call(lambda client: client.is_on_whatsapp(*queries))) if queries else []
    group_names: dict[str, str | None] = {}
    for plan in plans:
        if plan.kind == "group":
            try:
                group_names[plan.jid] = await _group_name(session, to_jid(plan.jid))
            except CallTimedOut:
                raise
            except Exception:  # noqa: BLE001 - a group we cannot read is "not reachable": exists false
                group_names[plan.jid] = None
    push_names: dict[str, str | None] = {}
    if store is not None:
        push_names = await store.push_names([p.jid for p in plans] + [jid_str(r.JID) for r in responses])
    return number_results(plans, responses, group_names, push_names)
