"""Pure rules of a person's settings: which language codes they may choose.

Which notification kinds may be muted is the notify domain's rule
(smarketing.notify.domain.MUTABLE_KINDS, check_mutable)."""

from __future__ import annotations

from smarketing.core.errors import ValidationError
from smarketing.core.settings import SUPPORTED_LOCALES

#: The choice that clears a person's own language: their pages then follow the browser,
#: else the workspace (docs/i18n.md).
AUTO = "auto"


def parse_locale(value: str | None) -> str | None:
    """A person's own locale from a form or an option: one of SUPPORTED_LOCALES, or None
    for "auto" or nothing (follow the browser, then the workspace)."""
    text = (value or "").strip().lower()
    if text in ("", AUTO):
        return None
    if text not in SUPPORTED_LOCALES:
        raise ValidationError(
            f"locale must be one of {', '.join((*SUPPORTED_LOCALES, AUTO))}, got {value!r}"
        )
    return text


def change_muted(current: list[str] | None, mute: list[str], unmute: list[str]) -> list[str]:
    """The muted kinds after muting `mute` and unmuting `unmute` (unmute wins); not checked."""
    kept = [kind for kind in (current or []) if kind not in unmute]
    return list(dict.fromkeys([*kept, *(kind for kind in mute if kind not in unmute)]))
