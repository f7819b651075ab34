"""`/chat/whatsappNumbers` and the number check other operations reuse (group create).

Pure halves (`plan_number_checks`, `number_results`) say what is asked of whatsmeow and how its
answer becomes upstream's `[{jid, exists, number, name?, lid?}]`; `check_numbers` does the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsmeow.ops.common import jid_str, to_jid


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
        out.append(digits[:2] + "1" + digits[2:])
    elif digits[:2] in ("52", "54") and len(digits) == 13:
        out.append(digits[:2] + digits[3:])
    return out


def plan_number_checks(numbers: list[str]) -> list[NumberCheck]:
    plans: list[NumberCheck] = []
    for number in numbers:
        jid = create_jid(number)
        if jid.endswith("@g.us"):
            plans.append(NumberCheck(number, jid, "group"))
        elif jid.endswith("@lid"):
            plans.append(NumberCheck(number, jid, "lid"))
        elif jid.endswith("@broadcast"):
            plans.append(NumberCheck(number, jid, "broadcast"))
        else:
            digits = jid.split("@", 1)[0]
            raw = "".join(ch for ch in number.split("@", 1)[0] if ch.isdigit())
            candidates = list(dict.fromkeys(_variants(digits) + ([raw] if raw and raw != digits else [])))
            plans.append(NumberCheck(number, jid, "user", [f"+{d}" for d in candidates]))
    return plans


def user_queries(plans: list[NumberCheck]) -> list[str]:
    return list(dict.fromkeys(q for plan in plans for q in plan.queries))


def number_results(
    plans: list[NumberCheck], responses: list[Any], group_names: dict[str, str | None]
) -> list[dict[str, Any]]:
    """whatsmeow's IsOnWhatsAppResponse list (+ group subjects, None = group not reachable) → upstream's list."""
    by_query = {response.Query: response for response in responses}
    out: list[dict[str, Any]] = []
    for plan in plans:
        if plan.kind == "group":
            name = group_names.get(plan.jid)
            item: dict[str, Any] = {"exists": name is not None, "jid": plan.jid, "number": plan.number}
            if name is not None:
                item["name"] = name
            out.append(item)
        elif plan.kind == "lid":
            out.append({"jid": plan.jid, "exists": True, "number": plan.number, "lid": "lid"})
        elif plan.kind == "broadcast":
            out.append({"jid": plan.jid, "exists": False, "number": plan.number})
        else:
            found = next((by_query[q] for q in plan.queries if q in by_query and by_query[q].IsIn), None)
            jid = (jid_str(found.JID) if found is not None else None) or plan.jid
            out.append({"jid": jid, "exists": found is not None, "number": plan.number})
    return out


async def check_numbers(client: Any, numbers: list[str]) -> list[dict[str, Any]]:
    plans = plan_number_checks(numbers)
    queries = user_queries(plans)
    responses = list(await client.is_on_whatsapp(*queries)) if queries else []
    group_names: dict[str, str | None] = {}
    for plan in plans:
        if plan.kind == "group":
            try:
                info = await client.get_group_info(to_jid(plan.jid))
                group_names[plan.jid] = info.GroupName.Name
            except Exception:
                group_names[plan.jid] = None
    return number_results(plans, responses, group_names)
