"""Pure website-tracking logic: channel rules, site domains, form fields.

No I/O: the service reads the configured rules and domains and passes them in.

A page view is classified by walking an ordered list of rules; the first rule whose
conditions all hold gives the channel. A rule is plain JSON so an admin can change the
list (`smarketing tracking rules set FILE.json`):

    {"name": "Google Ads", "channel": "paid_search", "param": ["gclid"]}

Conditions (every one given must hold; within a list, any value matches):
- ``param``: one of these query parameters is present with a value;
- ``utm_source`` / ``utm_medium``: the parameter equals one of these (case-insensitive);
- ``referrer_host``: the referrer's host matches one of these patterns: ``example.com``
  is that host and its subdomains, ``google.*`` adds any one- or two-label ending
  (google.com, www.google.co.uk);
- ``referrer``: ``"external"`` (a referrer from another site) or ``"none"`` (no
  referrer, or one from this site).

A rule without conditions matches everything. Before the rules, a page reached from the
site itself without campaign parameters is internal navigation: no new touch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from smarketing.core.errors import json_type

CHANNELS = (
    "organic_search", "paid_search", "social", "paid_social", "email",
    "referral", "direct", "event", "display", "other",
)  # fmt: skip
#: The channel when no rule matches (custom rules may leave gaps).
FALLBACK_CHANNEL = "other"
#: Query parameters set by ad platforms on their clicks (they mark a campaign landing).
CLICK_IDS = ("gclid", "gbraid", "wbraid", "dclid", "msclkid", "fbclid", "li_fat_id",
             "ttclid", "twclid")  # fmt: skip
UTM_PARAMS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
REFERRER_KINDS = ("external", "none")
RULE_KEYS = ("name", "channel", "param", "utm_source", "utm_medium", "referrer_host",
             "referrer")  # fmt: skip

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_PATTERN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?:\.\*)?$")
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_PARAM_NAME = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,100}$")


class RulesError(ValueError):
    """Channel rules that cannot be used; the message names the rule and the field."""


@dataclass(frozen=True)
class Rule:
    """One channel rule; see the module docstring for what each condition means."""

    channel: str
    name: str = ""
    param: tuple[str, ...] = ()
    utm_source: tuple[str, ...] = ()
    utm_medium: tuple[str, ...] = ()
    referrer_host: tuple[str, ...] = ()
    referrer: str | None = None

    def label(self, index: int) -> str:
        return self.name or f"rule {index + 1}"


@dataclass(frozen=True)
class Touch:
    """Where one page view came from. `channel` None means internal navigation."""

    channel: str | None
    rule: str
    utm: dict[str, str] = field(default_factory=dict)
    click_ids: tuple[str, ...] = ()

    @property
    def is_new_touch(self) -> bool:
        return self.channel is not None


# -- the default rules -------------------------------------------------------------------

SEARCH_ENGINES = ("google.*", "bing.com", "duckduckgo.com", "yahoo.*", "ecosia.org",
                  "baidu.com", "yandex.*", "qwant.com", "search.brave.com",
                  "startpage.com")  # fmt: skip
SOCIAL_NETWORKS = ("facebook.com", "fb.com", "instagram.com", "linkedin.com", "lnkd.in",
                   "t.co", "twitter.com", "x.com", "youtube.com", "youtu.be", "pinterest.*",
                   "tiktok.com", "reddit.com", "threads.net", "bsky.app", "xing.com")  # fmt: skip
WEBMAIL = ("mail.google.com", "com.google.android.gm", "outlook.live.com",
           "outlook.office.com", "outlook.office365.com", "mail.yahoo.com", "mail.proton.me",
           "mail.zoho.com", "webmail.*")  # fmt: skip

DEFAULT_RULES_DATA: list[dict[str, Any]] = [
    {"name": "ad click id", "channel": "paid_search",
     "param": ["gclid", "gbraid", "wbraid", "msclkid"]},
    {"name": "paid search medium", "channel": "paid_search",
     "utm_medium": ["cpc", "ppc", "paid_search", "paidsearch", "paid-search", "sem"]},
    {"name": "paid social medium", "channel": "paid_social",
     "utm_medium": ["paid_social", "social_paid", "paidsocial", "paid-social", "social-paid"]},
    {"name": "paid social click", "channel": "paid_social",
     "param": ["fbclid", "li_fat_id", "ttclid", "twclid"], "utm_medium": ["paid"]},
    {"name": "email medium", "channel": "email",
     "utm_medium": ["email", "e-mail", "e_mail", "newsletter", "mail"]},
    {"name": "social medium", "channel": "social",
     "utm_medium": ["social", "social-network", "social_network", "social-media",
                    "social_media", "sm"]},
    {"name": "display medium", "channel": "display",
     "utm_medium": ["display", "banner", "cpm", "programmatic"]},
    {"name": "display click id", "channel": "display", "param": ["dclid"]},
    {"name": "referral medium", "channel": "referral",
     "utm_medium": ["referral", "affiliate", "partner"]},
    {"name": "event medium", "channel": "event",
     "utm_medium": ["event", "events", "tradeshow", "trade-show", "conference"]},
    {"name": "organic medium", "channel": "organic_search", "utm_medium": ["organic", "seo"]},
    {"name": "webmail referrer", "channel": "email", "referrer_host": list(WEBMAIL)},
    {"name": "search engine referrer", "channel": "organic_search",
     "referrer_host": list(SEARCH_ENGINES)},
    {"name": "social network referrer", "channel": "social",
     "referrer_host": list(SOCIAL_NETWORKS)},
    {"name": "other campaign tags", "channel": "other",
     "param": ["utm_source", "utm_medium", "utm_campaign"]},
    {"name": "other website", "channel": "referral", "referrer": "external"},
    {"name": "no referrer", "channel": "direct", "referrer": "none"},
]  # fmt: skip


# -- rules as data -----------------------------------------------------------------------


def parse_rules(data: Any) -> tuple[Rule, ...]:
    """Rules from their JSON form; RulesError names the first problem found."""
    if not isinstance(data, list):
        raise RulesError(f"rules: must be a JSON list of rules, got {json_type(data)}")
    if not data:
        raise RulesError("rules: the list is empty; give at least one rule")
    return tuple(_parse_rule(index, item) for index, item in enumerate(data))


def rules_as_data(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    """The JSON form of `rules` (what `parse_rules` reads back to the same rules)."""
    return [_rule_as_data(rule) for rule in rules]


def _rule_as_data(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = {"name": rule.name} if rule.name else {}
    data["channel"] = rule.channel
    for key in ("param", "utm_source", "utm_medium", "referrer_host"):
        values: tuple[str, ...] = getattr(rule, key)
        if values:
            data[key] = list(values)
    if rule.referrer is not None:
        data["referrer"] = rule.referrer
    return data


def _parse_rule(index: int, item: Any) -> Rule:
    where = f"rule {index + 1}"
    if not isinstance(item, dict):
        raise RulesError(f"{where}: must be a JSON object, got {json_type(item)}")
    unknown = sorted(set(item) - set(RULE_KEYS))
    if unknown:
        raise RulesError(f"{where}: unknown field {unknown[0]!r}; "
                         f"known fields: {', '.join(RULE_KEYS)}")  # fmt: skip
    channel = item.get("channel")
    if channel not in CHANNELS:
        raise RulesError(f"{where}: channel: must be one of {', '.join(CHANNELS)}, "
                         f"got {channel!r}")  # fmt: skip
    name = item.get("name", "")
    if not isinstance(name, str) or len(name) > 100:
        raise RulesError(f"{where}: name: must be a text of at most 100 characters")
    referrer = item.get("referrer")
    if referrer is not None and referrer not in REFERRER_KINDS:
        raise RulesError(f"{where}: referrer: must be \"external\" or \"none\", "
                         f"got {referrer!r}")  # fmt: skip
    return Rule(
        channel=channel, name=name, referrer=referrer,
        param=_lowered(_names(where, "param", item.get("param"), _PARAM_NAME.match)),
        utm_source=_lowered(_names(where, "utm_source", item.get("utm_source"), None)),
        utm_medium=_lowered(_names(where, "utm_medium", item.get("utm_medium"), None)),
        referrer_host=_lowered(_names(where, "referrer_host", item.get("referrer_host"),
                                      lambda v: _HOST_PATTERN.match(v.lower()))),
    )  # fmt: skip


def _names(where: str, key: str, value: Any, check: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise RulesError(f"{where}: {key}: must be a non-empty list of texts")
    for entry in value:
        if not isinstance(entry, str) or not entry.strip():
            raise RulesError(f"{where}: {key}: every entry must be a non-empty text, "
                             f"got {entry!r}")  # fmt: skip
        if check is not None and not check(entry):
            hint = (" (a host like example.com, or name.* for any ending)"
                    if key == "referrer_host" else "")  # fmt: skip
            raise RulesError(f"{where}: {key}: {entry!r} is not valid{hint}")
    return tuple(value)


def _lowered(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip().lower() for v in values)


DEFAULT_RULES = parse_rules(DEFAULT_RULES_DATA)


# -- hosts and domains -------------------------------------------------------------------


def host_of(url: str | None) -> str | None:
    """The lower-case host name of `url`, or None when it has none."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def host_within(host: str, domain: str) -> bool:
    """`host` is `domain` or one of its subdomains."""
    return host == domain or host.endswith("." + domain)


def host_matches(host: str, pattern: str) -> bool:
    """`example.com`: that host or a subdomain; `name.*`: also any one- or two-label
    ending after `name` (google.com, google.co.uk, www.google.de)."""
    if not pattern.endswith(".*"):
        return host_within(host, pattern)
    base = pattern[:-2].split(".")
    labels = host.split(".")
    for start in range(len(labels)):
        rest = len(labels) - start - len(base)
        if labels[start:start + len(base)] == base and rest in (1, 2):
            return True
    return False


def normalize_domain(text: str) -> str:
    """A site domain as stored: lower case, no scheme, port or path. ValueError says why
    a value cannot be one."""
    value = text.strip().lower()
    if "://" in value:
        value = host_of(value) or ""
    value = value.rstrip(".")
    if value.startswith("*."):
        raise ValueError(f"{text!r}: give the domain without '*.' (subdomains are included)")
    if not value or not _DOMAIN.match(value) or len(value) > 253:
        raise ValueError(f"{text!r} is not a domain name (e.g. acme.example or 127.0.0.1)")
    return value


def origin_host(origin: str | None) -> str | None:
    """The host of a browser's Origin header (`https://www.acme.example:8443`), or None
    for a missing, opaque (`null`) or non-web origin."""
    if not origin:
        return None
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    return host_of(origin)


def allowed_domain(host: str | None, domains: Iterable[str]) -> str | None:
    """The configured domain that covers `host` (itself or a parent), or None."""
    if host is None:
        return None
    return next((d for d in domains if host_within(host, d)), None)


# -- classification ----------------------------------------------------------------------


def query_params(url: str) -> dict[str, str]:
    """The first non-empty value of each query parameter of `url`."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return {}
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=False):
        params.setdefault(name.lower(), value.strip())
    return {name: value for name, value in params.items() if value}


def classify(url: str, referrer: str | None, own_hosts: Iterable[str],
             rules: Sequence[Rule] = DEFAULT_RULES) -> Touch:  # fmt: skip
    """The channel of a page view at `url` reached from `referrer`.

    `own_hosts` are the site's domains (a referrer within one is this site). A page
    reached from the site itself without UTM parameters or ad click ids is internal
    navigation (`channel` None).
    """
    params = query_params(url)
    utm = {name: params[name] for name in UTM_PARAMS if name in params}
    clicks = tuple(name for name in CLICK_IDS if name in params)
    ref_host = host_of(referrer)
    own = [h for h in own_hosts if h]
    internal = ref_host is not None and any(host_within(ref_host, h) for h in own)
    if internal and not utm and not clicks:
        return Touch(None, "internal navigation", utm, clicks)
    external_host = None if internal else ref_host
    for index, rule in enumerate(rules):
        if rule_matches(rule, params, external_host):
            return Touch(rule.channel, rule.label(index), utm, clicks)
    return Touch(FALLBACK_CHANNEL, "no rule matched", utm, clicks)


def rule_matches(rule: Rule, params: Mapping[str, str], referrer_host: str | None) -> bool:
    """Every condition of `rule` holds for these query parameters and this external
    referrer host (None: no referrer from another site)."""
    if rule.param and not any(name in params for name in rule.param):
        return False
    if rule.utm_source and params.get("utm_source", "").lower() not in rule.utm_source:
        return False
    if rule.utm_medium and params.get("utm_medium", "").lower() not in rule.utm_medium:
        return False
    if rule.referrer_host and not (
        referrer_host is not None
        and any(host_matches(referrer_host, p) for p in rule.referrer_host)
    ):
        return False
    if rule.referrer == "external" and referrer_host is None:
        return False
    return not (rule.referrer == "none" and referrer_host is not None)


# -- form fields -------------------------------------------------------------------------

#: Normalized form field names (lower case, letters and digits only) -> contact field.
FORM_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "mail", "youremail", "workemail", "businessemail",
              "correo", "correoelectronico"),
    "first_name": ("firstname", "fname", "givenname", "forename", "nombre", "nome"),
    "last_name": ("lastname", "lname", "surname", "familyname", "apellido", "apellidos",
                  "sobrenome", "cognome"),
    "full_name": ("name", "fullname", "yourname", "nombrecompleto", "nomecompleto"),
    "company": ("company", "companyname", "organization", "organisation", "org",
                "empresa", "azienda", "societa"),
    "phone": ("phone", "tel", "telephone", "mobile", "phonenumber", "telefono",
              "telefone", "cellulare"),
    "job_title": ("jobtitle", "title", "position", "role", "cargo", "puesto", "ruolo"),
    "country": ("country", "pais", "paese"),
}  # fmt: skip
_FIELD_LIMITS = {"first_name": 100, "last_name": 100, "company": 255, "phone": 40,
                 "job_title": 200}  # fmt: skip
_FIELD_BY_NAME = {name: key for key, names in FORM_FIELD_NAMES.items() for name in names}


def field_key(name: str) -> str | None:
    """The contact field a form field name stands for (`First Name` -> first_name)."""
    normalized = re.sub(r"[^a-z0-9]", "", name.lower())
    for prefix in ("your", "contact", "lead", "user"):
        if normalized.startswith(prefix) and normalized[len(prefix):] in _FIELD_BY_NAME:
            normalized = normalized[len(prefix):]
    return _FIELD_BY_NAME.get(normalized)


def contact_from_form(email: str, fields: Mapping[str, str]) -> dict[str, str]:
    """Contact fields (for the contact upsert) read from a submitted form's fields.

    A full name fills first and last name when the form has no separate ones; a country
    is kept only as a two-letter code; over-long values are cut to the column size.
    """
    found: dict[str, str] = {}
    for name, value in fields.items():
        key = field_key(name)
        text = value.strip() if isinstance(value, str) else ""
        if key and text and key not in found:
            found[key] = text
    contact = {"email": email}
    full = found.pop("full_name", "")
    if full and "first_name" not in found and "last_name" not in found:
        first, _, last = full.partition(" ")
        found["first_name"], found["last_name"] = first, last.strip()
    country = found.pop("country", "")
    if len(country) == 2 and country.isalpha():
        contact["country"] = country.upper()
    for key, limit in _FIELD_LIMITS.items():
        if found.get(key):
            contact[key] = found[key][:limit]
    found.pop("email", None)
    return contact


_SENSITIVE = re.compile(r"pass|pwd|secret|token|csrf|captcha|card|cvv|cvc|iban|ssn|pin$",
                        re.IGNORECASE)  # fmt: skip


def is_sensitive_field(name: str) -> bool:
    """A form field that is never kept, whatever the page sends (passwords, card numbers,
    tokens): the script skips them too."""
    return bool(_SENSITIVE.search(name))


def touch_channel(touch: Touch, campaign_channel: str | None,
                  current_channel: str | None) -> tuple[str, bool]:  # fmt: skip
    """The channel an event is recorded with, and whether it is a new touch.

    Internal navigation keeps the visit's channel (the visitor's last touch); with none
    yet it counts as a direct arrival. A known campaign's channel replaces `other`.
    """
    if touch.channel is None:
        if current_channel is None:
            return "direct", True
        return current_channel, False
    if touch.channel == FALLBACK_CHANNEL and campaign_channel is not None \
            and campaign_channel in CHANNELS:
        return campaign_channel, True
    return touch.channel, True
