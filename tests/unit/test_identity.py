"""One rule set for instance identities, whichever dialect asks."""

from __future__ import annotations

from evolution_py.core.identity import IdentityProblem, instance_id_problem, name_problem, token_problem


def test_name_rules() -> None:
    assert name_problem(None) is IdentityProblem.NAME_MISSING
    assert name_problem("  ") is IdentityProblem.NAME_MISSING
    assert name_problem("a/b") is IdentityProblem.NAME_INVALID
    assert name_problem("x" * 256) is IdentityProblem.NAME_INVALID
    assert name_problem("x" * 255) is None
    assert name_problem("shop 1") is None


def test_token_and_id_rules() -> None:
    assert token_problem("t" * 255) is None
    assert token_problem("t" * 256) is IdentityProblem.TOKEN_TOO_LONG
    assert instance_id_problem("i" * 100) is None
    assert instance_id_problem("i" * 101) is IdentityProblem.INSTANCE_ID_INVALID
    assert instance_id_problem("a/b") is IdentityProblem.INSTANCE_ID_INVALID


def test_names_and_ids_without_control_characters_or_dot_segments() -> None:
    for bad in ("a\x00b", "a\rb", "a\nb", "a\tb", "\x7f", "x\x9f", ".", ".."):
        assert name_problem(bad) is IdentityProblem.NAME_UNSAFE, repr(bad)
        assert instance_id_problem(bad) is IdentityProblem.INSTANCE_ID_UNSAFE, repr(bad)
    for good in ("...", ".a", "a.b", "ção", "shop 1", "a\u200bb"):
        assert name_problem(good) is None, repr(good)
        assert instance_id_problem(good) is None, repr(good)
    assert token_problem("t\x00") is IdentityProblem.TOKEN_UNSAFE
