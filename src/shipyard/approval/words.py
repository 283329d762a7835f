"""Which comments are decisions: the whole comment must be one approve or deny word."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from shipyard.runtime import InputError

APPROVE_WORDS = ("approve", "approved", "lgtm", "yes")
DENY_WORDS = ("deny", "denied", "no")

Verdict = Literal["approve", "deny"]

_WORD = re.compile(r"^[^\s.!]+(?:\s+[^\s.!]+)*$")


def normalize(text: str) -> str:
    """A comment as it is compared: trimmed, lower case, trailing ``.``/``!`` removed,
    inner runs of white space collapsed to one space."""
    stripped = text.strip().lower()
    stripped = stripped.rstrip(".!").strip()
    return " ".join(stripped.split())


@dataclass(frozen=True)
class Words:
    """The accepted words, lower case."""

    approve: tuple[str, ...] = APPROVE_WORDS
    deny: tuple[str, ...] = DENY_WORDS

    def classify(self, comment: str) -> Verdict | None:
        """``approve``/``deny`` when the whole comment is one of the words, else None."""
        text = normalize(comment)
        if text in self.approve:
            return "approve"
        if text in self.deny:
            return "deny"
        return None


def build_words(extra_approve: Iterable[str], extra_deny: Iterable[str]) -> Words:
    """The default words plus the extra ones; an extra word must be a plain word or phrase
    and cannot both approve and deny."""
    approve = list(APPROVE_WORDS)
    deny = list(DENY_WORDS)
    for name, extra, target in (
        ("approve-words", extra_approve, approve),
        ("deny-words", extra_deny, deny),
    ):
        for raw in extra:
            word = normalize(raw)
            if not word or not _WORD.match(word):
                raise InputError(
                    name, f"'{raw}' is not a word (letters, digits or a short phrase)."
                )
            if word not in target:
                target.append(word)
    both = sorted(set(approve) & set(deny))
    if both:
        raise InputError(
            "deny-words" if any(normalize(w) in both for w in extra_deny) else "approve-words",
            f"'{both[0]}' cannot both approve and deny.",
        )
    return Words(tuple(approve), tuple(deny))
