"""The pure tracking rules: channel classification, host patterns, domains, form fields."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarketing.records.schema import CHANNELS
from smarketing.tracking import domain
from smarketing.tracking.domain import (
    DEFAULT_RULES,
    DEFAULT_RULES_DATA,
    RulesError,
    Touch,
    classify,
    contact_from_form,
    host_matches,
    normalize_domain,
    parse_rules,
    rules_as_data,
)

SITE = "https://www.acme.example"
OWN = ["acme.example", "www.acme.example"]


@pytest.mark.parametrize(
    ("url", "referrer", "channel"),
    [
        (f"{SITE}/?gclid=Cj0KCQ", None, "paid_search"),
        (f"{SITE}/?msclkid=9f", "https://www.bing.com/", "paid_search"),
        (f"{SITE}/?utm_source=google&utm_medium=cpc", None, "paid_search"),
        (f"{SITE}/?utm_medium=PPC", None, "paid_search"),
        (f"{SITE}/?utm_medium=paid_search", "https://www.google.com/", "paid_search"),
        (f"{SITE}/?utm_medium=paid_social&utm_source=linkedin", None, "paid_social"),
        (f"{SITE}/?fbclid=IwAR&utm_medium=paid", "https://l.facebook.com/", "paid_social"),
        (f"{SITE}/?fbclid=IwAR", "https://l.facebook.com/", "social"),
        (f"{SITE}/?utm_medium=email&utm_campaign=nov", None, "email"),
        (f"{SITE}/?utm_medium=newsletter", None, "email"),
        (f"{SITE}/?utm_medium=social", "https://www.linkedin.com/", "social"),
        (f"{SITE}/?utm_medium=banner", None, "display"),
        (f"{SITE}/?utm_medium=cpm", None, "display"),
        (f"{SITE}/?dclid=x1", None, "display"),
        (f"{SITE}/?utm_medium=referral&utm_source=partner", None, "referral"),
        (f"{SITE}/?utm_medium=event&utm_campaign=expo", None, "event"),
        (f"{SITE}/pricing", "https://www.google.com/", "organic_search"),
        (f"{SITE}/pricing", "https://www.google.co.uk/search?q=acme", "organic_search"),
        (f"{SITE}/", "https://google.es/", "organic_search"),
        (f"{SITE}/", "https://www.bing.com/", "organic_search"),
        (f"{SITE}/", "https://duckduckgo.com/", "organic_search"),
        (f"{SITE}/", "https://search.yahoo.com/", "organic_search"),
        (f"{SITE}/", "https://www.ecosia.org/", "organic_search"),
        (f"{SITE}/", "https://yandex.ru/", "organic_search"),
        (f"{SITE}/", "https://www.qwant.com/", "organic_search"),
        (f"{SITE}/", "https://www.baidu.com/", "organic_search"),
        (f"{SITE}/", "https://mail.google.com/", "email"),
        (f"{SITE}/", "android-app://com.google.android.gm/", "email"),
        (f"{SITE}/", "https://outlook.live.com/", "email"),
        (f"{SITE}/", "https://www.linkedin.com/feed/", "social"),
        (f"{SITE}/", "https://lnkd.in/abc", "social"),
        (f"{SITE}/", "https://t.co/xyz", "social"),
        (f"{SITE}/", "https://x.com/acme", "social"),
        (f"{SITE}/", "https://m.youtube.com/watch?v=1", "social"),
        (f"{SITE}/", "https://www.reddit.com/r/b2b", "social"),
        (f"{SITE}/", "https://blog.partner.example/post", "referral"),
        (f"{SITE}/", None, "direct"),
        (f"{SITE}/", "", "direct"),
        (f"{SITE}/?utm_source=partner", None, "other"),
        (f"{SITE}/?utm_medium=weird", "https://www.google.com/", "organic_search"),
        (f"{SITE}/?utm_medium=email", f"{SITE}/blog", "email"),
        (f"{SITE}/?gclid=abc", f"{SITE}/", "paid_search"),
        (f"{SITE}/pricing", f"{SITE}/", None),
        (f"{SITE}/pricing", "https://acme.example/blog", None),
        (f"{SITE}/pricing?page=2", "https://shop.acme.example/cart", None),
    ],
)  # fmt: skip
def test_default_rules(url: str, referrer: str | None, channel: str | None) -> None:
    assert classify(url, referrer, OWN).channel == channel


def test_classification_keeps_utm_values_and_click_ids() -> None:
    touch = classify(f"{SITE}/?utm_source=Google&utm_medium=cpc&utm_campaign=Spring+Sale"
                     "&gclid=abc&other=1", None, OWN)
    assert touch == Touch("paid_search", "ad click id",
                          {"utm_source": "Google", "utm_medium": "cpc",
                           "utm_campaign": "Spring Sale"}, ("gclid",))  # fmt: skip


def test_the_page_host_alone_makes_a_referrer_internal() -> None:
    assert classify("https://shop.example/b", "https://shop.example/a", ["shop.example"]).channel \
        is None
    assert classify("https://shop.example/b", "https://shop.example/a", []).channel == "referral"


@pytest.mark.parametrize(
    ("host", "pattern", "matches"),
    [
        ("google.com", "google.*", True), ("www.google.co.uk", "google.*", True),
        ("google", "google.*", False), ("notgoogle.com", "google.*", False),
        ("google.a.b.c", "google.*", False), ("t.co", "t.co", True),
        ("mobile.t.co", "t.co", True), ("at.co", "t.co", False),
        ("linkedin.com", "linkedin.com", True), ("www.linkedin.com", "linkedin.com", True),
        ("linkedin.com.evil.example", "linkedin.com", False),
    ],
)  # fmt: skip
def test_host_patterns(host: str, pattern: str, matches: bool) -> None:
    assert host_matches(host, pattern) is matches


def _oracle(host: str, pattern: str) -> bool:
    """The pattern meaning written as a regular expression."""
    if pattern.endswith(".*"):
        body = re.escape(pattern[:-2]) + r"(?:\.[^.]+){1,2}"
    else:
        body = re.escape(pattern)
    return re.fullmatch(r"(?:[^.]+\.)*" + body, host) is not None


LABEL = st.sampled_from(["google", "com", "co", "uk", "www", "t", "mail", "a", "x"])


@given(host=st.lists(LABEL, min_size=1, max_size=6).map(".".join),
       pattern=st.lists(LABEL, min_size=1, max_size=2).map(".".join),
       wildcard=st.booleans())  # fmt: skip
def test_host_matching_agrees_with_the_regex_oracle(host: str, pattern: str,
                                                    wildcard: bool) -> None:  # fmt: skip
    pattern = pattern + ".*" if wildcard else pattern
    assert host_matches(host, pattern) is _oracle(host, pattern)


@given(path=st.text(max_size=40), referrer=st.one_of(st.none(), st.text(max_size=60)))
def test_any_text_gets_a_channel_or_internal(path: str, referrer: str | None) -> None:
    touch = classify(SITE + "/" + path, referrer, OWN)
    assert touch.channel is None or touch.channel in CHANNELS


@given(path=st.text(alphabet="abc/=&?", max_size=20),
       referrer=st.one_of(st.none(), st.sampled_from(
           ["https://www.google.com/", "https://t.co/x", f"{SITE}/", "https://p.example/"])))
def test_an_ad_click_id_is_always_paid_search(path: str, referrer: str | None) -> None:
    url = f"{SITE}/{path.replace('?', '')}?gclid=abc"
    assert classify(url, referrer, OWN).channel == "paid_search"


def test_default_rules_round_trip_through_json() -> None:
    assert parse_rules(rules_as_data(DEFAULT_RULES)) == DEFAULT_RULES
    assert parse_rules(DEFAULT_RULES_DATA) == DEFAULT_RULES


def test_channels_are_the_interchange_channels() -> None:
    assert domain.CHANNELS == CHANNELS


def test_custom_rules_are_walked_in_order() -> None:
    rules = parse_rules([
        {"channel": "event", "utm_source": ["Expo2026"]},
        {"channel": "paid_search", "param": ["GCLID"]},
        {"channel": "other"},
    ])  # fmt: skip
    assert classify(f"{SITE}/?utm_source=expo2026&gclid=1", None, OWN, rules).channel == "event"
    assert classify(f"{SITE}/?gclid=1", None, OWN, rules).rule == "rule 2"
    assert classify(f"{SITE}/", "https://www.google.com/", OWN, rules).channel == "other"


def test_when_no_rule_matches_the_channel_is_other() -> None:
    rules = parse_rules([{"channel": "email", "utm_medium": ["email"]}])
    assert classify(f"{SITE}/", None, OWN, rules) == Touch("other", "no rule matched")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"channel": "email"}, "rules: must be a JSON list of rules, got an object"),
        ([], "rules: the list is empty"),
        (["email"], "rule 1: must be a JSON object, got a string"),
        ([{"channel": "email"}, {"channel": "fax"}], "rule 2: channel: must be one of"),
        ([{"channel": "email", "utm_medum": ["email"]}], "rule 1: unknown field 'utm_medum'"),
        ([{"channel": "email", "utm_medium": "email"}],
         "rule 1: utm_medium: must be a non-empty list of texts"),
        ([{"channel": "email", "utm_medium": [""]}], "rule 1: utm_medium: every entry"),
        ([{"channel": "social", "referrer_host": ["https://x.com"]}],
         "rule 1: referrer_host: 'https://x.com' is not valid"),
        ([{"channel": "social", "referrer_host": ["*.x.com"]}], "is not valid"),
        ([{"channel": "direct", "referrer": "empty"}], "rule 1: referrer: must be"),
        ([{"channel": "direct", "name": 3}], "rule 1: name:"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_with_the_rule_and_field(data: object, message: str) -> None:
    with pytest.raises(RulesError, match=re.escape(message)):
        parse_rules(data)


@pytest.mark.parametrize(
    ("text", "stored"),
    [("acme.example", "acme.example"), (" WWW.Acme.Example. ", "www.acme.example"),
     ("https://shop.acme.example:8443/path", "shop.acme.example"), ("127.0.0.1", "127.0.0.1"),
     ("localhost", "localhost")],
)  # fmt: skip
def test_domains_are_normalized(text: str, stored: str) -> None:
    assert normalize_domain(text) == stored


@pytest.mark.parametrize("text", ["", "*.acme.example", "acme example", "acme_.example",
                                  "-acme.example", "https://"])
def test_values_that_are_not_domains_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="domain"):
        normalize_domain(text)


@pytest.mark.parametrize(
    ("origin", "host"),
    [("https://www.acme.example", "www.acme.example"), ("http://127.0.0.1:8001", "127.0.0.1"),
     ("null", None), ("file://", None), ("", None), (None, None),
     ("chrome-extension://abc", None)],
)  # fmt: skip
def test_origin_hosts(origin: str | None, host: str | None) -> None:
    assert domain.origin_host(origin) == host


def test_a_domain_allows_its_subdomains_only() -> None:
    domains = ["acme.example", "127.0.0.1"]
    assert domain.allowed_domain("www.acme.example", domains) == "acme.example"
    assert domain.allowed_domain("acme.example", domains) == "acme.example"
    assert domain.allowed_domain("127.0.0.1", domains) == "127.0.0.1"
    assert domain.allowed_domain("notacme.example", domains) is None
    assert domain.allowed_domain("acme.example.evil.example", domains) is None


@pytest.mark.parametrize(
    ("fields", "contact"),
    [
        ({"first_name": "Ana", "last_name": "Ruiz", "company": "Studio"},
         {"first_name": "Ana", "last_name": "Ruiz", "company": "Studio"}),
        ({"name": "Ana María Ruiz", "Company Name": "Studio"},
         {"first_name": "Ana", "last_name": "María Ruiz", "company": "Studio"}),
        ({"firstName": "Ana", "name": "Ana Ruiz"}, {"first_name": "Ana"}),
        ({"nombre": "Ana", "apellidos": "Ruiz Gil", "empresa": "Cocinas"},
         {"first_name": "Ana", "last_name": "Ruiz Gil", "company": "Cocinas"}),
        ({"your-phone": "+34 600 000 000", "country": "es", "job title": "CTO"},
         {"phone": "+34 600 000 000", "country": "ES", "job_title": "CTO"}),
        ({"country": "Spain", "message": "Call me", "first_name": " "}, {}),
        ({"company": "x" * 300}, {"company": "x" * 255}),
    ],
)  # fmt: skip
def test_contact_fields_from_a_form(fields: dict[str, str], contact: dict[str, str]) -> None:
    assert contact_from_form("ana@studio.example", fields) == {"email": "ana@studio.example",
                                                               **contact}


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [("password", True), ("user_pwd", True), ("csrf_token", True), ("card-number", True),
     ("cvc", True), ("email", False), ("company", False), ("first_name", False)],
)  # fmt: skip
def test_sensitive_fields(name: str, sensitive: bool) -> None:
    assert domain.is_sensitive_field(name) is sensitive


@pytest.mark.parametrize(
    ("touch", "campaign_channel", "current", "expected"),
    [
        (Touch(None, "internal navigation"), None, "paid_search", ("paid_search", False)),
        (Touch(None, "internal navigation"), None, None, ("direct", True)),
        (Touch("other", "other campaign tags"), "email", None, ("email", True)),
        (Touch("other", "other campaign tags"), None, "social", ("other", True)),
        (Touch("social", "social medium"), "email", "direct", ("social", True)),
    ],
)  # fmt: skip
def test_touch_channel(touch: Touch, campaign_channel: str | None, current: str | None,
                       expected: tuple[str, bool]) -> None:  # fmt: skip
    assert domain.touch_channel(touch, campaign_channel, current) == expected
