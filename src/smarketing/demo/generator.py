"""A deterministic demo workspace: Nordwood Kitchens & Furniture, as interchange records.

Nordwood is a B2B maker of kitchens, office furniture and hospitality (contract)
furniture that sells to kitchen studios, interior architects, hotel chains and the
facility managers of companies in Spain, Portugal and Italy. `generate` yields the
workspace as interchange records (shared/spec/interchange.md), in an order that imports
cleanly, so the demo is written through the same code path as `smarketing import`:

workspace, calendars, teams, users, product lines, personas, campaigns and their cost
lines, the SLA, companies, and then every contact followed by its story: activities,
the MQL stage change for a minority, the assignment to a rep of the contact's team,
the rep's attempts (mostly on time, some late or missing, cadences of up to five
attempts), the decision (accepted, or rejected with a reason and then recycled or
disqualified), opportunities, deals (open, won, lost) and customers.

Pure: no database and no clock. The history ends at midnight (Europe/Madrid) of the
date of `now`, so every instant is in the past, and the same seed, contact count and
date give the same records. Memory stays bounded: companies and contacts are produced
one at a time from per-company random streams, never held in a list (except the first
KEPT_COMPANIES companies' streams, kept from their company record to their contacts).
"""

from __future__ import annotations

import calendar as month_calendar
import math
import random
import unicodedata
from bisect import bisect, bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from itertools import accumulate
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from smarketing.demo.constants import DEMO_EMAIL_DOMAIN
from smarketing.sla.calendar import (
    BusinessCalendar,
    add_business_time,
    calendar_from_json,
    open_windows,
)

Record = dict[str, Any]
T = TypeVar("T")

WORKSPACE_NAME = "Nordwood Kitchens & Furniture"
TIMEZONE = "Europe/Madrid"
MADRID = ZoneInfo(TIMEZONE)
HISTORY_DAYS = 182
SITE = "https://www.nordwood.example"
SLA_CALENDAR = "madrid"
MQL_SCORE = 60

# -- people -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    """A demo login. Reps carry their habits: how often a first attempt is late or
    missing, and how often they abandon a cadence before five attempts."""

    name: str
    role: str
    team: str | None = None
    calendar: str | None = None
    locale: str = "es"
    weight: int | None = None
    late: float = 0.0
    missing: float = 0.0
    gives_up: float = 0.0
    #: Out of office, as day offsets from the end of the history (negative: in the past).
    away: tuple[int, int] | None = None

    @property
    def email(self) -> str:
        return f"{_slug(self.name, '.')}@{DEMO_EMAIL_DOMAIN}"


USERS: tuple[DemoUser, ...] = (
    DemoUser("Carmen Ortega", "admin", locale="en"),  # the README's screenshots: English
    DemoUser("Lucía Navarro", "marketing"),
    DemoUser("Elena Campos", "marketing"),
    DemoUser("Giulia Romano", "marketing", locale="it"),
    DemoUser("João Almeida", "marketing", locale="pt"),
    DemoUser("Javier Morales", "sales_manager", team="iberia"),
    DemoUser("Francesca Bianchi", "sales_manager", team="italia", locale="it"),
    DemoUser("Ana Ruiz", "sales_rep", "iberia", weight=2, late=0.04, missing=0.01,
             gives_up=0.05, away=(12, 21)),
    DemoUser("Pablo Herrera", "sales_rep", "iberia", weight=1, late=0.10, missing=0.03,
             gives_up=0.12, away=(-46, -37)),
    DemoUser("Marta Gil", "sales_rep", "iberia", weight=1, late=0.06, missing=0.02,
             gives_up=0.08),
    DemoUser("Diego Castillo", "sales_rep", "iberia", weight=1, late=0.24, missing=0.08,
             gives_up=0.28),
    DemoUser("Sergio Vidal", "sales_rep", "iberia", weight=1, late=0.12, missing=0.04,
             gives_up=0.15),
    DemoUser("Inês Carvalho", "sales_rep", "iberia", calendar="lisbon", locale="pt", weight=1,
             late=0.08, missing=0.02, gives_up=0.10),
    DemoUser("Marco Esposito", "sales_rep", "italia", locale="it", weight=2, late=0.05,
             missing=0.01, gives_up=0.06),
    DemoUser("Chiara Colombo", "sales_rep", "italia", locale="it", weight=1, late=0.09,
             missing=0.03, gives_up=0.10, away=(-112, -99)),
    DemoUser("Luca Ferrari", "sales_rep", "italia", locale="it", weight=1, late=0.18,
             missing=0.06, gives_up=0.22),
    DemoUser("Sara Ricci", "sales_rep", "italia", locale="it", weight=1, late=0.07,
             missing=0.02, gives_up=0.08),
)  # fmt: skip

TEAMS: dict[str, tuple[str, str]] = {
    "iberia": ("Iberia (Spain & Portugal)", "madrid"),
    "italia": ("Italia", "milan"),
}
TEAM_OF_COUNTRY = {"ES": "iberia", "PT": "iberia", "IT": "italia"}
ROLE_ORDER = ("admin", "marketing", "sales_manager", "sales_rep")


def demo_users() -> tuple[DemoUser, ...]:
    return USERS


def demo_logins() -> dict[str, list[str]]:
    """Login emails of the demo users per role (admin, marketing, sales_manager, sales_rep)."""
    return {role: [u.email for u in USERS if u.role == role] for role in ROLE_ORDER}


def _manager(team: str) -> DemoUser:
    return next(u for u in USERS if u.role == "sales_manager" and u.team == team)


def _reps(team: str) -> list[DemoUser]:
    return [u for u in USERS if u.role == "sales_rep" and u.team == team]


# -- calendars --------------------------------------------------------------------------

LUNCH = [["09:00", "14:00"], ["15:00", "18:00"]]
CALENDARS: dict[str, dict[str, Any]] = {
    "madrid": {
        "timezone": "Europe/Madrid",
        "hours": {"mon": LUNCH, "tue": LUNCH, "wed": LUNCH, "thu": LUNCH,
                  "fri": [["08:00", "15:00"]]},
        "holidays": {"country": "ES", "subdivision": "MD"},
    },
    "milan": {
        "timezone": "Europe/Rome",
        "hours": {day: [["08:30", "12:30"], ["13:30", "17:30"]]
                  for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": {"country": "IT", "subdivision": "MI"},
    },
    "lisbon": {
        "timezone": "Europe/Lisbon",
        "hours": {day: [["09:00", "13:00"], ["14:00", "18:00"]]
                  for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": {"country": "PT", "subdivision": "11"},
    },
}  # fmt: skip


def _extra_holidays(key: str, years: range) -> list[str]:
    days: list[date] = []
    for year in years:
        days += [date(year, 12, 24), date(year, 12, 31)]
        if key == "milan":  # summer closure of the Italian office
            days += [date(year, 8, d) for d in range(10, 15)]
    return [d.isoformat() for d in sorted(days)]


# -- what Nordwood sells and to whom ----------------------------------------------------

PRODUCT_LINES = {
    "kitchens": "Kitchens",
    "office": "Office furniture",
    "hospitality": "Hospitality furniture (contract)",
}


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    description: str
    industry: str
    employees: tuple[int, int]
    contacts_per_company: tuple[int, ...]
    product_lines: tuple[tuple[str, float], ...]
    channels: tuple[float, ...]  # weights in CHANNELS order
    titles: dict[str, tuple[str, ...]]
    mql_factor: float


CHANNELS = ("organic_search", "paid_search", "social", "paid_social", "email", "referral",
            "direct", "event", "display", "other")  # fmt: skip

PERSONAS: tuple[Persona, ...] = (
    Persona(
        "kitchen_studio", "Kitchen studio owner",
        "Owns or manages an independent kitchen showroom; buys display kitchens and "
        "orders kitchens for the studio's clients.",
        "Kitchen retail", (2, 25), (1, 1, 2, 2, 3),
        (("kitchens", 1.0),),
        (0.20, 0.20, 0.08, 0.12, 0.05, 0.10, 0.08, 0.09, 0.05, 0.03),
        {"ES": ("Propietario", "Gerente", "Diseñador de cocinas", "Director comercial"),
         "IT": ("Titolare", "Progettista cucine", "Responsabile showroom"),
         "PT": ("Proprietário", "Gerente de loja", "Designer de cozinhas")},
        1.0,
    ),
    Persona(
        "interior_architect", "Interior architect",
        "Specifies kitchens and furniture for residential, office and hotel projects.",
        "Architecture & interior design", (1, 40), (1, 1, 1, 2, 3),
        (("kitchens", 0.5), ("office", 0.25), ("hospitality", 0.25)),
        (0.24, 0.10, 0.14, 0.10, 0.06, 0.12, 0.07, 0.10, 0.04, 0.03),
        {"ES": ("Interiorista", "Arquitecto de interiores", "Socio director"),
         "IT": ("Architetto d'interni", "Interior designer", "Socio fondatore"),
         "PT": ("Arquiteto de interiores", "Designer de interiores", "Sócio-gerente")},
        1.0,
    ),
    Persona(
        "hotel_procurement", "Procurement manager at a hotel chain",
        "Buys furniture for openings and refurbishments of a hotel group's properties.",
        "Hospitality", (80, 3000), (1, 2, 2, 3, 4, 6),
        (("hospitality", 1.0),),
        (0.15, 0.12, 0.04, 0.20, 0.06, 0.14, 0.08, 0.12, 0.05, 0.04),
        {"ES": ("Director de compras", "Procurement Manager", "Director de proyectos"),
         "IT": ("Responsabile acquisti", "Procurement Manager", "Direttore tecnico"),
         "PT": ("Diretor de compras", "Procurement Manager", "Gestor de projetos")},
        1.2,
    ),
    Persona(
        "facility_manager", "Facility manager",
        "Runs the offices of a company and buys workstations, meeting rooms and acoustics.",
        "Professional services", (40, 1500), (1, 1, 2, 3),
        (("office", 1.0),),
        (0.22, 0.25, 0.04, 0.14, 0.05, 0.08, 0.10, 0.05, 0.05, 0.02),
        {"ES": ("Facility Manager", "Responsable de servicios generales", "Office Manager"),
         "IT": ("Facility Manager", "Responsabile servizi generali", "Office Manager"),
         "PT": ("Facility Manager", "Responsável de serviços gerais", "Office Manager")},
        0.9,
    ),
)  # fmt: skip
PERSONA_WEIGHTS = (0.38, 0.27, 0.15, 0.20)

COUNTRIES = ("ES", "IT", "PT")
COUNTRY_WEIGHTS = (0.55, 0.30, 0.15)
LANGUAGE = {"ES": "es", "IT": "it", "PT": "pt"}
TLD = {"ES": "es", "IT": "it", "PT": "pt"}
FREEMAIL = {"ES": ("gmail.com", "hotmail.es", "outlook.es"),
            "IT": ("gmail.com", "libero.it", "outlook.it"),
            "PT": ("gmail.com", "sapo.pt", "outlook.pt")}  # fmt: skip

FIRST_NAMES = {
    "ES": ("Lucía", "María", "Carmen", "Laura", "Paula", "Elena", "Marta", "Sara", "Cristina",
           "Isabel", "Alba", "Nuria", "Raquel", "Beatriz", "Silvia", "Pilar", "Rocío", "Irene",
           "Clara", "Andrea", "Javier", "Carlos", "Miguel", "Alejandro", "David", "Daniel",
           "Pablo", "Sergio", "Jorge", "Álvaro", "Manuel", "Antonio", "Francisco", "Luis",
           "Raúl", "Rubén", "Adrián", "Iván", "Óscar", "Alberto"),
    "IT": ("Giulia", "Francesca", "Chiara", "Sara", "Martina", "Valentina", "Alessia", "Elena",
           "Federica", "Silvia", "Laura", "Paola", "Elisa", "Giorgia", "Anna", "Marco", "Luca",
           "Andrea", "Matteo", "Alessandro", "Davide", "Simone", "Federico", "Lorenzo",
           "Stefano", "Giuseppe", "Antonio", "Paolo", "Riccardo", "Fabio"),
    "PT": ("Ana", "Beatriz", "Mariana", "Inês", "Sofia", "Carolina", "Joana", "Rita", "Catarina",
           "Marta", "João", "Pedro", "Tiago", "Miguel", "Rui", "Nuno", "Diogo", "Ricardo",
           "André", "Bruno"),
}  # fmt: skip
LAST_NAMES = {
    "ES": ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
           "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno",
           "Muñoz", "Álvarez", "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez",
           "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano", "Blanco", "Molina", "Morales",
           "Suárez", "Ortega", "Delgado", "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Iglesias"),
    "IT": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
           "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
           "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro",
           "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone"),
    "PT": ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins",
           "Jesus", "Sousa", "Fernandes", "Gonçalves", "Gomes", "Lopes", "Marques", "Alves",
           "Almeida", "Ribeiro", "Pinto", "Carvalho"),
}  # fmt: skip
CITIES = {
    "ES": ("Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Málaga", "Zaragoza",
           "Alicante", "Valladolid", "Murcia", "Palma", "Granada", "Vigo", "Pamplona",
           "Santander", "Córdoba", "Gijón", "Oviedo"),
    "IT": ("Milano", "Roma", "Torino", "Bologna", "Firenze", "Verona", "Padova", "Bergamo",
           "Brescia", "Genova", "Napoli", "Bari", "Treviso", "Como", "Udine"),
    "PT": ("Lisboa", "Porto", "Braga", "Coimbra", "Faro", "Aveiro", "Funchal", "Setúbal",
           "Leiria", "Évora"),
}  # fmt: skip
PLACES = {
    "ES": ("Mediterráneo", "Alhambra", "Atlántico", "Sierra Nevada", "Castilla", "Cantábrico",
           "Levante", "Guadalquivir", "Pirineo", "Olivo", "Arenal", "Marbella Sol"),
    "IT": ("Laguna", "Dolomiti", "Riviera", "Belvedere", "Portofino", "Garda", "Vesuvio",
           "Toscana", "Lido", "Aurora", "Borgo Antico", "Palazzo Reale"),
    "PT": ("Atlântico", "Douro", "Algarve", "Tejo", "Alfama", "Sintra", "Lusitânia", "Minho",
           "Estrela", "Mar Azul"),
}  # fmt: skip
BRANDS = {
    "ES": ("Atlas", "Nexo", "Vértice", "Horizonte", "Áurea", "Delta", "Prisma", "Arco", "Faro",
           "Norte", "Cima", "Alfa"),
    "IT": ("Atlante", "Orizzonte", "Vertice", "Prisma", "Aurea", "Delta", "Nexus", "Arco",
           "Faro", "Polaris"),
    "PT": ("Atlas", "Horizonte", "Vértice", "Prisma", "Áurea", "Delta", "Nexo", "Arco", "Farol",
           "Norte"),
}  # fmt: skip
COMPANY_TEMPLATES: dict[tuple[str, str], tuple[str, ...]] = {
    ("kitchen_studio", "ES"): ("Cocinas {w}", "{w} Cocinas", "Estudio de Cocina {w}",
                               "Cocinas y Baños {w}"),
    ("kitchen_studio", "IT"): ("Cucine {w}", "{w} Arredamenti", "Studio Cucine {w}",
                               "{w} Cucine & Design"),
    ("kitchen_studio", "PT"): ("Cozinhas {w}", "{w} Cozinhas", "Estúdio de Cozinhas {w}"),
    ("interior_architect", "ES"): ("{w} Interiorismo", "Estudio {w} Arquitectura Interior",
                                   "{w} & Asociados"),
    ("interior_architect", "IT"): ("Studio {w} Architetti", "{w} Interior Design",
                                   "Atelier {w}"),
    ("interior_architect", "PT"): ("{w} Arquitetura de Interiores", "Atelier {w}",
                                   "Estúdio {w} Design"),
    ("hotel_procurement", "ES"): ("Hoteles {w}", "Grupo Hotelero {w}", "{w} Hotels & Resorts"),
    ("hotel_procurement", "IT"): ("{w} Hotels", "Gruppo Alberghiero {w}", "{w} Resort & Spa"),
    ("hotel_procurement", "PT"): ("Hotéis {w}", "Grupo {w} Hotels", "{w} Resorts"),
    ("facility_manager", "ES"): ("{w} Abogados", "Seguros {w}", "{w} Consultores",
                                 "{w} Ingeniería"),
    ("facility_manager", "IT"): ("{w} Consulting", "Assicurazioni {w}", "{w} Tecnologie",
                                 "Studio Legale {w}"),
    ("facility_manager", "PT"): ("{w} Advogados", "Seguros {w}", "{w} Consultores",
                                 "{w} Engenharia"),
}  # fmt: skip


def _words(persona: str, country: str) -> tuple[str, ...]:
    if persona == "hotel_procurement":
        return PLACES[country]
    if persona == "facility_manager":
        return BRANDS[country]
    return LAST_NAMES[country]


CONTENT = {
    "kitchens": ("Kitchen collection catalogue", "Trade price list – kitchens",
                 "Guide: planning a showroom kitchen", "Case study: a 3-kitchen showroom"),
    "office": ("Office furniture catalogue", "Guide: furnishing a hybrid office",
               "Acoustic panels brochure"),
    "hospitality": ("Contract hospitality portfolio", "Case study: 120-room refurbishment",
                    "Fire-rated finishes technical sheet"),
}  # fmt: skip
PAGES = {
    "kitchens": ("cocinas", "cucine", "cozinhas"),
    "office": ("oficina", "ufficio", "escritorio"),
    "hospitality": ("contract-hoteles", "contract-hotel", "contract-hoteis"),
}
HIGH_INTENT = (
    ("form_submit", "Quote request"),
    ("form_submit", "Contact sales"),
    ("meeting_booked", "Showroom visit booked"),
    ("content_download", "Trade price list"),
    ("chat", "Chat with the sales desk"),
)

# -- campaigns --------------------------------------------------------------------------


@dataclass(frozen=True)
class Campaign:
    key: str
    name: str
    channel: str
    product_line: str | None
    starts_on: date
    ends_on: date | None
    cost: int | None
    monthly: int | None
    utm: tuple[str, str] | None
    audience: tuple[str, ...] | None = None  # personas it reaches; None: everyone

    def runs_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    def reaches(self, persona: str, product_line: str) -> bool:
        if self.product_line not in (None, product_line):
            return False
        return self.audience is None or persona in self.audience


#: Trade fairs: (key, name, product line, audience, month, first day, days, stand cost,
#: share of the history where it goes when its real date is not inside the history).
FAIRS = (
    ("salone-milano", "Salone del Mobile.Milano", "kitchens",
     ("kitchen_studio", "interior_architect"), 4, 21, 6, 48000, 0.30),
    ("habitat-valencia", "Maderalia / Hábitat Valencia", "kitchens",
     ("kitchen_studio", "interior_architect"), 9, 23, 4, 22000, 0.55),
    ("interihotel-bcn", "InteriHOTEL Barcelona", "hospitality",
     ("hotel_procurement", "interior_architect"), 11, 12, 2, 15000, 0.80),
    ("webinar-hybrid-office", "Webinar: designing the hybrid office", "office",
     ("facility_manager", "interior_architect"), 0, 0, 1, 1500, 0.70),
)  # fmt: skip


#: A fair's real edition may be this many days older than the history's start.
FAIR_SLACK_DAYS = 45


def _fair_dates(month: int, day: int, days: int, share: float, start: date, end: date) -> (
    tuple[date, date, bool]
):
    """The latest real edition that ended a few days before `end` and is not much older
    than `start` (True), else dates at `share` of the history (False): the demo needs
    every fair."""
    if month:
        for year in (end.year, end.year - 1):
            first = date(year, month, day)
            last = first + timedelta(days=days - 1)
            if start - timedelta(days=FAIR_SLACK_DAYS) <= first and last <= end - timedelta(
                days=5
            ):
                return first, last, True
    first = start + timedelta(days=int((end - start).days * share))
    while first.weekday() >= 5:
        first += timedelta(days=1)
    return first, first + timedelta(days=days - 1), False


def _campaigns(start: date, end: date) -> tuple[list[Campaign], date]:
    """Every campaign of a history that runs from `start` to `end` (excluded), and the
    first day of the history's first month (when always-on campaigns start)."""
    fairs = []
    for key, name, line, audience, month, day, days, cost, share in FAIRS:
        first, last, real = _fair_dates(month, day, days, share, start, end)
        title = f"{name} {first.year}" if real else name
        fairs.append(Campaign(key, title, "event", line, first, last, cost, None,
                              ("fair" if month else "webinar", "event"), audience))  # fmt: skip
    first_month = min([start, *(f.starts_on for f in fairs)]).replace(day=1)
    always: dict[str, Any] = {"starts_on": first_month, "ends_on": None}
    campaigns = [
        Campaign("seo-kitchens", "SEO – Cocinas a medida / Custom kitchens", "organic_search",
                 "kitchens", cost=4000, monthly=1200, utm=None,
                 audience=("kitchen_studio", "interior_architect"), **always),
        Campaign("blog-design-guides", "Blog & design guides", "organic_search", None,
                 cost=2500, monthly=900, utm=None, **always),
        Campaign("gads-kitchens", "Google Ads – Cocinas para profesionales", "paid_search",
                 "kitchens", cost=1500, monthly=6500, utm=("google", "cpc"), **always),
        Campaign("gads-office", "Google Ads – Mobiliario de oficina", "paid_search", "office",
                 cost=1500, monthly=5000, utm=("google", "cpc"), **always),
        Campaign("gads-brand", "Google Ads – Brand Nordwood", "paid_search", None,
                 cost=None, monthly=1800, utm=("google", "cpc"), **always),
        Campaign("instagram-projects", "Instagram – Projects & showrooms", "social", None,
                 cost=None, monthly=700, utm=("instagram", "social"), **always),
        Campaign("meta-kitchen-partners", "Meta Ads – Kitchen studio partner programme",
                 "paid_social", "kitchens", cost=2000, monthly=3200,
                 utm=("facebook", "paid_social"), audience=("kitchen_studio",), **always),
        Campaign("linkedin-contract", "LinkedIn Ads – Hospitality contract", "paid_social",
                 "hospitality", cost=2500, monthly=4500, utm=("linkedin", "paid_social"),
                 **always),
        Campaign("linkedin-workplace", "LinkedIn Ads – Workplace & office", "paid_social",
                 None, cost=2000, monthly=3500, utm=("linkedin", "paid_social"),
                 audience=("facility_manager", "interior_architect"), **always),
        Campaign("newsletter-trade", "Nordwood Trade newsletter", "email", None,
                 cost=None, monthly=350, utm=("newsletter", "email"), **always),
        Campaign("nurture-architects", "Nurture – Interior architects", "email", None,
                 cost=1200, monthly=250, utm=("nurture", "email"),
                 audience=("interior_architect",), **always),
        Campaign("dealer-referrals", "Dealer & architect referral programme", "referral", None,
                 cost=3000, monthly=1500, utm=("partner", "referral"), **always),
        Campaign("showrooms-direct", "Showrooms Madrid, Milano & Lisboa", "direct", None,
                 cost=None, monthly=2000, utm=None, **always),
        Campaign("display-retargeting", "Display retargeting – programmatic", "display", None,
                 cost=1000, monthly=2200, utm=("dv360", "display"), **always),
        Campaign("print-catalogue", "Print catalogue & trade press", "other", None,
                 cost=9000, monthly=None, utm=None, **always),
    ]  # fmt: skip
    return campaigns + fairs, first_month


REJECTIONS = (
    ("No budget this year", "recycle", 4),
    ("Timing: project planned for next year", "recycle", 4),
    ("Not the decision maker", "recycle", 2),
    ("Private homeowner, not a trade customer", "disqualify", 3),
    ("Outside our sales territory", "disqualify", 1),
    ("Works for a competitor", "disqualify", 1),
    ("Student or job seeker", "disqualify", 1),
)
EARLY_REJECTIONS = (
    ("Student or job seeker", "disqualify", 2),
    ("Duplicate of an existing account", "disqualify", 2),
    ("Works for a competitor", "disqualify", 1),
)
UNRESPONSIVE = "No response after the full cadence"
LOST_REASONS = ("Price above budget", "Chose a competitor", "Project postponed",
                "Delivery lead time too long", "No decision / went silent")  # fmt: skip
P_WIN = {"kitchens": 0.42, "office": 0.33, "hospitality": 0.28}
CLOSE_DAYS = {"kitchens": (14, 60), "office": (25, 100), "hospitality": (40, 150)}
P_MQL = {"organic_search": 0.13, "paid_search": 0.20, "social": 0.06, "paid_social": 0.11,
         "email": 0.10, "referral": 0.30, "direct": 0.17, "event": 0.32, "display": 0.06,
         "other": 0.09}  # fmt: skip
P_SUBSCRIBER = {"organic_search": 0.45, "paid_search": 0.15, "social": 0.55,
                "paid_social": 0.30, "email": 0.60, "referral": 0.05, "direct": 0.25,
                "event": 0.05, "display": 0.35, "other": 0.30}  # fmt: skip


# -- small helpers ----------------------------------------------------------------------


# Names, cities and user names come from the small fixed lists above, so slugs are
# memoized: a few thousand entries at most, whatever the number of contacts.
@cache
def _slug(text: str, sep: str = "-") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in ascii_text).split()
    return sep.join(words)


def _fmt(instant: datetime) -> str:
    """`instant.astimezone(MADRID).isoformat()`, the same text, made cheaply.

    Every record has an instant, and `isoformat` of a zoned datetime was the generator's
    costliest call. A UTC instant with whole seconds is written from its UTC hour's Madrid
    date, hour and offset (made once per UTC day) and its own minute and second: right
    whenever Madrid's offset is whole hours and the same all that UTC day, which
    `_madrid_day` checks (else it answers None and `isoformat` writes the instant).
    """
    if instant.tzinfo is UTC and not instant.microsecond:
        day = _madrid_day(instant.year, instant.month, instant.day)
        if day is not None:
            hours, offset = day
            minute_second = _MINUTE_SECOND[instant.minute * 60 + instant.second]
            return f"{hours[instant.hour]}{minute_second}{offset}"
    return instant.astimezone(MADRID).isoformat()


#: "MM:SS" for each second of an hour (a look-up is much cheaper than formatting).
_MINUTE_SECOND = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))


@cache
def _madrid_day(year: int, month: int, day: int) -> tuple[tuple[str, ...], str] | None:
    """For one UTC day: the Madrid date and hour of each of its 24 UTC hours as
    `isoformat` writes them ("2026-05-03T12:") and the offset ("+02:00"); None when the
    offset is not whole hours or changes that day (the days of the clock changes)."""
    start = datetime(year, month, day, tzinfo=UTC)
    first = start.astimezone(MADRID)
    last = (start + timedelta(days=1, microseconds=-1)).astimezone(MADRID)
    offset = first.utcoffset()
    if first.minute or first.second or offset is None or offset != last.utcoffset():
        return None
    dates = (first.date().isoformat(), (first.date() + timedelta(days=1)).isoformat())
    hours = tuple(f"{dates[(first.hour + h) // 24]}T{(first.hour + h) % 24:02d}:"
                  for h in range(24))  # fmt: skip
    return hours, first.isoformat()[19:]


def _local(day: date, minutes: int, zone: ZoneInfo = MADRID) -> datetime:
    """`minutes` after local midnight of `day`, as an aware UTC instant."""
    wall = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return wall.astimezone(UTC)


class _Random(random.Random):
    """`random.Random` with leaner integer draws: the same stream, the same values.

    `randint`, `randrange` and `choice` of `random.Random` (CPython 3.11 to 3.13) all come
    down to `_randbelow(n)`: `getrandbits(n.bit_length())` until the value is below `n`.
    These do that in one Python call instead of three, without the argument checks
    (anything but the plain forms used here goes to `random.Random`). The generator draws
    about a dozen integers per contact; tests/demo pins that the records stay the same.
    """

    def _below(self, n: int) -> int:
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return r

    def randint(self, a: int, b: int) -> int:
        if b < a:
            return super().randint(a, b)  # raises the usual ValueError
        return a + self._below(b - a + 1)

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        low, high = (0, start) if stop is None else (start, stop)
        if step != 1 or high <= low:
            return super().randrange(start, stop, step)
        return low + self._below(high - low)

    def choice(self, seq: Sequence[T]) -> T:
        if not seq:
            return super().choice(seq)  # raises the usual IndexError
        return seq[self._below(len(seq))]


class _Weighted(Generic[T]):
    """A weighted choice whose cumulative weights are summed once, not at every draw.

    `pick(rng)` draws exactly what `rng.choices(items, weights)[0]` draws: `choices` sums
    the weights into these same cumulative weights, then bisects them at
    `rng.random() * total` (CPython 3.9 and later), which is what `pick` does without
    the per-call set-up.
    """

    __slots__ = ("cum_weights", "hi", "items", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cum_weights = tuple(accumulate(weights))
        self.total = self.cum_weights[-1] + 0.0
        self.hi = len(self.items) - 1

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect(self.cum_weights, rng.random() * self.total, 0, self.hi)]


@cache
def _page_url(language: str, product_line: str) -> str:
    page = PAGES[product_line][("es", "it", "pt").index(language)]
    return f"{SITE}/{language}/{page}"


def _money(value: float) -> str:
    return f"{Decimal(round(value / 50) * 50):.2f}"


@cache
def _calendar(key: str) -> BusinessCalendar:
    return calendar_from_json(CALENDARS[key])


class _BusinessTime:
    """`add_business_time` on one calendar, answered from a table of its open windows.

    The handoffs ask "N business hours after t" a few times per MQL, and
    `add_business_time` walks the calendar day by day from t for each question. Here the
    open windows from `origin` on are listed once, as `open_windows` yields them (read
    lazily, as far as the questions reach), with the open time elapsed from `origin` to
    the end of each window; an answer is then two bisections. The answers are exactly
    `add_business_time`'s (in UTC): the same windows, the same whole-microsecond timedelta
    arithmetic, and a duration ending at a window's end gives that end. A start before
    `origin`, or a zero duration, goes to `add_business_time` itself.
    """

    def __init__(self, calendar: BusinessCalendar, origin: datetime) -> None:
        self.calendar = calendar
        self.origin = origin
        self._windows = open_windows(calendar, origin)  # unbounded
        self._starts: list[datetime] = []
        self._ends: list[datetime] = []
        self._open_until: list[timedelta] = []  # open time from origin to each window's end

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when `duration` of business time has elapsed after `start`, in UTC."""
        if start < self.origin or duration <= timedelta(0):
            return add_business_time(self.calendar, start, duration).astimezone(UTC)
        ends, open_until = self._ends, self._open_until
        while not ends or ends[-1] <= start:
            self._read_window()
        first = bisect_right(ends, start)  # the first window still open after `start`
        target = open_until[first] - (ends[first] - max(self._starts[first], start)) + duration
        while open_until[-1] < target:
            self._read_window()
        last = bisect_left(open_until, target, first)  # the window where `duration` runs out
        return ends[last] - (open_until[last] - target)

    def _read_window(self) -> None:
        start, end = next(self._windows)
        elapsed = self._open_until[-1] if self._open_until else timedelta(0)
        self._starts.append(start)
        self._ends.append(end)
        self._open_until.append(elapsed + (end - start))


def _phone(rng: random.Random, country: str) -> str:
    """A mobile number as people type it."""
    a, b, c = rng.randrange(10, 100), rng.randrange(1000), rng.randrange(1000)
    b3, c3 = _THREE_DIGITS[b], _THREE_DIGITS[c]
    if country == "IT":
        return f"+39 3{a} {b3} {c3}{rng.randrange(10)}"
    if country == "PT":
        return f"+351 9{rng.choice('1236')}{a % 10} {b3} {c3}"
    return f"+34 6{a} {b3} {c3}"


#: "000" to "999" (a look-up is much cheaper than formatting with a width).
_THREE_DIGITS = tuple(f"{n:03d}" for n in range(1000))


def _drop_none(record: Record) -> Record:
    return {k: v for k, v in record.items() if v is not None}


def _origin_choice(campaigns: list[Campaign], line: str) -> _Weighted[Campaign]:
    """First-touch campaigns of a channel, those of the contact's product line twice as likely."""
    return _Weighted(campaigns, [2.0 if c.product_line == line else 1.0 for c in campaigns])


# -- companies --------------------------------------------------------------------------


# Not frozen: a frozen dataclass takes about four times as long to build, and a large
# demo builds hundreds of thousands of companies.
@dataclass(slots=True)
class Company:
    index: int
    domain: str
    name: str
    country: str
    city: str
    persona: Persona
    employees: int
    size: int  # contacts of this company in the demo
    name_offset: int

    def record(self) -> Record:
        return {"type": "company", "domain": self.domain, "name": self.name,
                "country": self.country, "industry": self.persona.industry,
                "employees": self.employees}  # fmt: skip


# The fixed weighted choices, with their cumulative weights summed once (see _Weighted).
COUNTRY_CHOICE = _Weighted(COUNTRIES, COUNTRY_WEIGHTS)
PERSONA_CHOICE = _Weighted(PERSONAS, PERSONA_WEIGHTS)
LINE_CHOICE = {p.key: _Weighted([line for line, _ in p.product_lines],
                                [weight for _, weight in p.product_lines])
               for p in PERSONAS}  # fmt: skip
CHANNEL_CHOICE = {p.key: _Weighted(CHANNELS, p.channels) for p in PERSONAS}
TOUCH_KIND_CHOICE = _Weighted(("page_view", "email_open", "email_click", "content_download",
                               "ad_click", "form_submit"), (35, 25, 14, 12, 8, 6))  # fmt: skip
BROWSE_CHANNEL_CHOICE = _Weighted(("organic_search", "direct", "social", "referral"),
                                  (50, 35, 10, 5))  # fmt: skip
TRIGGER_CHANNEL_CHOICE = _Weighted(("direct", "organic_search", "email"), (50, 35, 15))
FIRST_ATTEMPT_KIND_CHOICE = _Weighted(("call", "email", "social"), (60, 33, 7))
LATER_ATTEMPT_KIND_CHOICE = _Weighted(("call", "email", "social"), (50, 40, 10))
EARLY_REJECTION_CHOICE = _Weighted(EARLY_REJECTIONS, [w[2] for w in EARLY_REJECTIONS])
REJECTION_CHOICE = _Weighted(REJECTIONS, [r[2] for r in REJECTIONS])


@cache
def _coprime_step(space: int) -> int:
    step = 7919
    while math.gcd(step, space) != 1:
        step += 2
    return step


def _company(seed: int, index: int) -> tuple[Company, random.Random]:
    """Company `index` and the random stream its contacts continue from.

    The name, city and domain come from a bijection of `index` into the persona's and
    country's name space, so domains are unique without remembering the ones made.
    """
    rng = _Random(f"nordwood:{seed}:company:{index}")
    country = COUNTRY_CHOICE.pick(rng)
    persona = PERSONA_CHOICE.pick(rng)
    space = _name_space_size(persona.key, country)
    rank = (index % space) * _coprime_step(space) % space
    round_ = index // space
    name, city, domain = _company_name(persona.key, country, rank)
    if round_:
        name, domain = f"{name} {city}", f"{domain}-{round_ + 1}"
    low, high = EMPLOYEES_LOG_RANGE[persona.key]
    employees = int(math.exp(rng.uniform(low, high)))
    size = rng.choice(persona.contacts_per_company)
    names = len(FIRST_NAMES[country]) * len(LAST_NAMES[country])
    company = Company(index, f"{domain}.{TLD[country]}", name, country, city, persona,
                      employees, size, rng.randrange(names))  # fmt: skip
    return company, rng


#: log(employees) bounds of each persona's companies.
EMPLOYEES_LOG_RANGE = {p.key: (math.log(p.employees[0]), math.log(p.employees[1]))
                       for p in PERSONAS}  # fmt: skip


@cache
def _name_space_size(persona: str, country: str) -> int:
    """How many (template, word, city) names a persona's companies have in a country."""
    templates = COMPANY_TEMPLATES[(persona, country)]
    return len(templates) * len(_words(persona, country)) * len(CITIES[country])


# Cached: the name spaces hold about 12,700 names in all, and every company past the
# first KEPT_COMPANIES is built twice (for its record, then for its contacts).
@cache
def _company_name(persona: str, country: str, rank: int) -> tuple[str, str, str]:
    """Name, city and domain (before any round suffix and the TLD) at `rank` of the name
    space of a persona in a country."""
    templates = COMPANY_TEMPLATES[(persona, country)]
    words = _words(persona, country)
    template = templates[rank % len(templates)]
    word = words[(rank // len(templates)) % len(words)]
    city = CITIES[country][rank // (len(templates) * len(words))]
    name = template.format(w=word)
    return name, city, f"{_slug(name)}-{_slug(city)}"


def _companies(
    seed: int, contacts: int, known: Sequence[tuple[Company, random.Random]] = ()
) -> Iterator[tuple[Company, random.Random, int]]:
    """Companies in order with their random stream and their number of contacts, until
    `contacts` contacts are placed. The first ones may be `known` already (as `_company`
    returned them, their streams not drawn from since)."""
    placed = 0
    index = 0
    while placed < contacts:
        company, rng = known[index] if index < len(known) else _company(seed, index)
        size = min(company.size, contacts - placed)
        yield company, rng, size
        placed += size
        index += 1


# -- the world --------------------------------------------------------------------------


@dataclass
class _Story:
    """One contact's records in causal order; emitted sorted by instant."""

    items: list[tuple[datetime, int, Record]]

    def add(self, at: datetime, record: Record) -> None:
        self.items.append((at, len(self.items), record))

    def records(self) -> list[Record]:
        # Sorting the (instant, position, record) tuples themselves sorts by (instant,
        # position): positions are unique, so the records are never compared.
        return [item[2] for item in sorted(self.items)]


@dataclass(slots=True)
class _Person:
    index: int
    email: str
    first: str
    last: str
    company: Company
    product_line: str
    channel: str
    campaign: Campaign | None
    created_at: datetime
    intent: float
    language: str


#: Companies whose random stream is kept from their company record to their contacts
#: (about 2.7 KB each with its company, 11 MB in all), so that they are not seeded twice.
#: Seeding a stream is the costliest step of a company; the default demo (5,000
#: contacts) has about 2,600 companies.
KEPT_COMPANIES = 4096


class _Demo:
    def __init__(self, contacts: int, seed: int, now: datetime) -> None:
        if contacts < 1:
            raise ValueError("contacts must be at least 1")
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.contacts = contacts
        self.seed = seed
        self.today = now.astimezone(MADRID).date()
        self.end = _local(self.today, 0)
        self.history_start = self.today - timedelta(days=HISTORY_DAYS)
        self.history_days = [self.history_start + timedelta(days=d) for d in range(HISTORY_DAYS)]
        self.campaigns, self.first_month = _campaigns(self.history_start, self.today)
        # Every instant the handoffs start from is after the earliest fair's first day,
        # at most FAIR_SLACK_DAYS before the history (earlier ones are still answered).
        origin = _local(self.history_start - timedelta(days=FAIR_SLACK_DAYS + 1), 0)
        self._business_time = {key: _BusinessTime(_calendar(key), origin) for key in CALENDARS}
        self.by_channel: dict[str, list[Campaign]] = {c: [] for c in CHANNELS}
        for campaign in self.campaigns:
            self.by_channel[campaign.channel].append(campaign)
        self.email_campaigns = self.by_channel["email"]
        self.ad_campaigns = self.by_channel["display"] + self.by_channel["paid_social"]
        # Which campaigns reach whom depends on a handful of keys (persona, product line,
        # channel), so each list is filtered once and remembered; the lists keep the
        # campaigns' order, so draws from them are the same as from freshly built ones.
        self._fairs: dict[tuple[str, str], list[Campaign]] = {}
        self._origins: dict[
            tuple[str, str, str], tuple[list[Campaign], _Weighted[Campaign] | None, date, date]
        ] = {}
        self._touches: dict[tuple[str, str], tuple[list[Campaign], list[Campaign]]] = {}
        #: Reps a lead can go to, by (team, rep excluded, day, Portuguese lead).
        self.rep_choices: dict[tuple[str, str | None, date, bool], _Weighted[DemoUser]] = {}
        self._kept: list[tuple[Company, random.Random]] = []

    def business(self, key: str, start: datetime, hours: float) -> datetime:
        """`hours` of business time after `start` on calendar `key`, in UTC."""
        return self._business_time[key].add(start, timedelta(seconds=int(hours * 3600)))

    # -- workspace-wide records --------------------------------------------------------

    def setup(self) -> Iterator[Record]:
        yield {"type": "workspace", "name": WORKSPACE_NAME, "timezone": TIMEZONE,
               "currency": "EUR", "locale": "es"}  # fmt: skip
        years = range(self.first_month.year, self.today.year + 2)
        for key, data in CALENDARS.items():
            yield {"type": "calendar", "key": key, **data,
                   "extra_holidays": _extra_holidays(key, years)}  # fmt: skip
        for key, (name, calendar) in TEAMS.items():
            yield {"type": "team", "key": key, "name": name, "calendar": calendar}
        for user in USERS:
            yield self._user(user)
        for key, name in PRODUCT_LINES.items():
            yield {"type": "product_line", "key": key, "name": name}
        for persona in PERSONAS:
            titles = sorted({t for ts in persona.titles.values() for t in ts})
            criteria = {"industry": persona.industry, "job_titles": titles,
                        "product_lines": [p for p, _ in persona.product_lines]}  # fmt: skip
            yield {"type": "persona", "key": persona.key, "name": persona.name,
                   "description": persona.description, "criteria": criteria}  # fmt: skip
        for campaign in self.campaigns:
            yield self._campaign(campaign)
        rng = random.Random(f"nordwood:{self.seed}:costs")
        for campaign in self.campaigns:
            yield from self._costs(rng, campaign)
        yield self._sla()

    def _user(self, user: DemoUser) -> Record:
        away = None
        if user.away:
            away = [[(self.today + timedelta(days=d)).isoformat() for d in user.away]]
        return _drop_none({
            "type": "user", "email": user.email, "name": user.name, "role": user.role,
            "team": user.team, "calendar": user.calendar, "locale": user.locale,
            "weight": user.weight, "out_of_office": away,
        })  # fmt: skip

    def _campaign(self, c: Campaign) -> Record:
        utm = {}
        if c.utm:
            utm = {"utm_source": c.utm[0], "utm_medium": c.utm[1], "utm_campaign": c.key}
        return _drop_none({
            "type": "campaign", "key": c.key, "name": c.name, "channel": c.channel,
            "product_line": c.product_line,
            "cost": f"{c.cost:.2f}" if c.cost is not None else None,
            "starts_on": c.starts_on.isoformat(),
            "ends_on": c.ends_on.isoformat() if c.ends_on else None, **utm,
        })  # fmt: skip

    def _costs(self, rng: random.Random, c: Campaign) -> Iterator[Record]:
        yesterday = self.today - timedelta(days=1)
        if c.monthly:
            month = self.first_month
            while month <= yesterday:
                days = month_calendar.monthrange(month.year, month.month)[1]
                last = month.replace(day=days)
                amount = c.monthly * rng.uniform(0.8, 1.2)
                if last <= yesterday:
                    on, note = last, f"{month:%Y-%m} spend"
                else:
                    on, note = yesterday, f"{month:%Y-%m} month to date"
                    amount *= yesterday.day / days
                yield {"type": "cost", "campaign": c.key, "on": on.isoformat(),
                       "amount": f"{round(amount, -1):.2f}", "note": note}  # fmt: skip
                month = last + timedelta(days=1)
        if c.channel == "event" and c.ends_on is not None:
            billed = c.ends_on + timedelta(days=7)
            if billed <= yesterday:
                for note, share in (("Stand build & logistics", 0.45), ("Travel & hotels", 0.2)):
                    part = f"{round((c.cost or 0) * share, -1):.2f}"
                    yield {"type": "cost", "campaign": c.key, "on": billed.isoformat(),
                           "amount": part, "note": note}  # fmt: skip

    def _sla(self) -> Record:
        reps = sum(1 for u in USERS if u.role == "sales_rep")
        months = HISTORY_DAYS / 30.4
        expected = self.contacts * 0.15 / months / reps
        return {
            "type": "sla", "key": "default", "status": "active",
            "effective_from": self.first_month.isoformat(), "calendar": SLA_CALENDAR,
            "marketing": {"mqls_per_rep_per_month": max(1, round(expected * 1.1)),
                          "min_grade": None},
            "sales": {"first_attempt_within_hours": 8, "attempts": 5,
                      "attempts_within_days": 14, "decision_within_hours": None},
        }  # fmt: skip

    # -- companies and contacts --------------------------------------------------------

    def companies(self) -> Iterator[Record]:
        for company, rng, _size in _companies(self.seed, self.contacts):
            if len(self._kept) < KEPT_COMPANIES:
                self._kept.append((company, rng))
            yield company.record()

    def contacts_and_stories(self) -> Iterator[Record]:
        kept, self._kept = self._kept, []
        index = 0
        for company, rng, size in _companies(self.seed, self.contacts, kept):
            for slot in range(size):
                yield from self._story(rng, company, slot, index).records()
                index += 1

    def _person(self, rng: random.Random, company: Company, slot: int, index: int) -> _Person:
        country = company.country
        firsts, lasts = FIRST_NAMES[country], LAST_NAMES[country]
        position = (company.name_offset + slot) % (len(firsts) * len(lasts))
        first, last = firsts[position % len(firsts)], lasts[position // len(firsts)]
        persona = company.persona
        line = LINE_CHOICE[persona.key].pick(rng)
        freemail = persona.key in ("kitchen_studio", "interior_architect") and rng.random() < 0.15
        if freemail:
            email = f"{_slug(first, '.')}.{_slug(last, '')}{index}@{rng.choice(FREEMAIL[country])}"
        else:
            email = f"{_slug(first, '.')}.{_slug(last, '')}@{company.domain}"
        channel = CHANNEL_CHOICE[persona.key].pick(rng)
        campaign, created = self._origin(rng, persona.key, line, channel)
        if campaign is None and channel == "event":  # no fair for this persona: came direct
            channel = "direct"
            campaign, created = self._origin(rng, persona.key, line, channel)
        return _Person(index, email.lower(), first, last, company, line, channel, campaign,
                       created, rng.uniform(0.6, 1.4), LANGUAGE[country])  # fmt: skip

    def _origin(self, rng: random.Random, persona: str, line: str, channel: str) -> (
        tuple[Campaign | None, datetime]
    ):
        """First-touch campaign and creation instant."""
        if channel == "event":
            fairs = self._fairs.get((persona, line))
            if fairs is None:
                fairs = [c for c in self.by_channel["event"] if c.reaches(persona, line)
                         and c.starts_on < self.today]  # fmt: skip
                self._fairs[(persona, line)] = fairs
            if not fairs:
                return None, self._creation_instant(rng)
            fair = rng.choice(fairs)
            last = min(fair.ends_on or fair.starts_on, self.today - timedelta(days=1))
            day = fair.starts_on + timedelta(days=rng.randrange((last - fair.starts_on).days + 1))
            return fair, _local(day, rng.randrange(10 * 60, 19 * 60))
        created = self._creation_instant(rng)
        day = created.astimezone(MADRID).date()
        key = (channel, persona, line)
        if key not in self._origins:
            reaching = [c for c in self.by_channel[channel] if c.reaches(persona, line)]
            self._origins[key] = (
                reaching,
                _origin_choice(reaching, line) if reaching else None,
                # the days on which all of them run (always-on campaigns: every day)
                max((c.starts_on for c in reaching), default=date.min),
                min((c.ends_on or date.max for c in reaching), default=date.max),
            )
        reaching, choice, all_from, all_until = self._origins[key]
        if not all_from <= day <= all_until:
            options = [c for c in reaching if c.runs_on(day)]
            choice = _origin_choice(options, line) if options else None
        if choice is None or (channel in ("organic_search", "direct") and rng.random() < 0.25):
            return None, created
        return choice.pick(rng), created

    def touch_campaigns(self, persona: str, line: str) -> tuple[list[Campaign], list[Campaign]]:
        """The email and the ad campaigns that reach `persona` for product line `line`."""
        key = (persona, line)
        if key not in self._touches:
            self._touches[key] = (
                [c for c in self.email_campaigns if c.reaches(persona, line)],
                [c for c in self.ad_campaigns if c.reaches(persona, line)],
            )
        return self._touches[key]

    def _creation_instant(self, rng: random.Random) -> datetime:
        """Growing over the history, mostly on weekdays and in office hours."""
        u = rng.random()
        x = (-0.7 + math.sqrt(0.49 + 1.2 * u)) / 0.6  # density 0.7 + 0.6 x on [0, 1)
        day = self.history_days[min(HISTORY_DAYS - 1, int(x * HISTORY_DAYS))]
        if day.weekday() >= 5 and rng.random() < 0.7:
            friday = day - timedelta(days=day.weekday() - 4)
            monday = day + timedelta(days=7 - day.weekday())
            day = monday if monday < self.today and rng.random() < 0.5 else friday
        if rng.random() < 0.85:
            minutes = int(rng.triangular(8 * 60, 20 * 60, 11 * 60))
        else:
            minutes = rng.randrange(24 * 60)
        return _local(day, minutes)

    # -- one contact's story -----------------------------------------------------------

    def _story(self, rng: random.Random, company: Company, slot: int, index: int) -> _Story:
        p = self._person(rng, company, slot, index)
        story = _Story([])
        stage = "subscriber" if rng.random() < P_SUBSCRIBER[p.channel] else "lead"
        story.add(p.created_at, self._contact(rng, p, stage))
        acts = _Acts(self, rng, p, story)
        touched = acts.first_touch(stage)
        if stage == "subscriber" and rng.random() < 0.2:  # gated content turns some into leads
            browsed = acts.engage(touched, rng.randint(1, 3), 8)
            if browsed is None:
                return story
            touched = acts.add(browsed, "content_download", lead=True)
            stage = "lead"
        p_mql = P_MQL[p.channel] * p.company.persona.mql_factor * (0.8 + 0.2 * p.intent)
        if rng.random() >= p_mql:
            acts.engage(touched, rng.choice((0, 1, 1, 2, 2, 3, 4, 6)), 12)
            return story
        # On the way to MQL: a few touches, then a high-intent one.
        warmed = acts.engage(touched, rng.choice((0, 1, 1, 2, 3, 4)), 5)
        if warmed is None:
            return story
        at = acts.trigger(warmed, lead=stage == "subscriber")
        episode = 1
        while at is not None and episode <= 2:
            mql_at = at + timedelta(minutes=rng.randint(1, 30))
            if p.channel == "event" and episode == 1:  # fair leads are qualified back home
                mql_at = self.business(SLA_CALENDAR, at, rng.uniform(6, 30))
            if mql_at >= self.end:
                return story
            score = rng.randint(MQL_SCORE, 95)
            story.add(mql_at, {"type": "stage_change", "contact": p.email, "to": "mql",
                               "at": _fmt(mql_at), "by": "system",
                               "reason": f"Lead score {score} ≥ {MQL_SCORE}"})  # fmt: skip
            recycled = _Handoff(self, rng, p, story).run(mql_at)
            acts.engage(mql_at, rng.choice((0, 1, 2, 3)), 10)
            if recycled is None or rng.random() >= 0.2:
                return story
            # Back in nurture; some come back a few months later.
            at = acts.engage(recycled + timedelta(days=rng.randint(25, 80)), 1, 6)
            at = acts.trigger(at) if at is not None else None
            episode += 1
        return story

    def _contact(self, rng: random.Random, p: _Person, stage: str) -> Record:
        c = p.company
        phone = _phone(rng, c.country) if rng.random() < 0.7 else None
        properties: dict[str, Any] = {"preferred_language": p.language, "city": c.city}
        if p.channel == "event" and p.campaign is not None:
            properties["badge_scan"] = f"Hall {rng.randint(1, 24)} · Nordwood stand"
        record: Record = {
            "type": "contact", "email": p.email, "created_at": _fmt(p.created_at),
            "first_name": p.first, "last_name": p.last,
            "phone": phone, "job_title": rng.choice(c.persona.titles[c.country]),
            "company": c.domain, "country": c.country, "persona": c.persona.key,
            "lifecycle_stage": stage, "channel": p.channel,
            "campaign": p.campaign.key if p.campaign else None,
            "product_line": p.product_line, "properties": properties,
        }  # fmt: skip
        # The two fields that may be empty are left out (as _drop_none would, cheaper).
        if phone is None:
            del record["phone"]
        if p.campaign is None:
            del record["campaign"]
        return record


class _Acts:
    """Marketing touchpoints of one contact (activities and the moves they cause)."""

    def __init__(self, demo: _Demo, rng: random.Random, person: _Person, story: _Story) -> None:
        self.demo, self.rng, self.p, self.story = demo, rng, person, story
        self.count = 0

    def _url(self, suffix: str = "") -> str:
        return _page_url(self.p.language, self.p.product_line) + suffix

    def add(self, at: datetime, kind: str, *, campaign: Campaign | None = None,
            channel: str | None = None, content: str | None = None, url: str | None = None,
            lead: bool = False, properties: dict[str, Any] | None = None) -> datetime:  # fmt: skip
        """Record an activity; with `lead`, the subscriber becomes a lead by it."""
        self.count += 1
        # Built key by key rather than through _drop_none (this is the commonest record);
        # the keys keep the order of the full record with its None values dropped.
        record: Record = {"type": "activity", "id": f"nw-act-{self.p.index}-{self.count}",
                          "contact": self.p.email, "kind": kind, "at": _fmt(at)}  # fmt: skip
        if campaign is None:
            if channel is not None:
                record["channel"] = channel
        else:
            record["campaign"] = campaign.key
        if url is not None:
            record["url"] = url
        if content is not None:
            record["content"] = content
        if properties is not None:
            record["properties"] = properties
        if kind == "content_download" and content is None:
            record["content"] = self.rng.choice(CONTENT[self.p.product_line])
        self.story.add(at, record)
        if lead:
            self.story.add(at, {"type": "stage_change", "contact": self.p.email, "to": "lead",
                                "at": _fmt(at), "by": "system"})  # fmt: skip
        return at

    def first_touch(self, stage: str) -> datetime:
        p, at = self.p, self.p.created_at
        if p.channel == "event" and p.campaign is not None:
            return self.add(at, "event_attended", campaign=p.campaign, content=p.campaign.name)
        if p.channel in ("paid_search", "paid_social", "display"):
            self.add(at, "ad_click", campaign=p.campaign, channel=p.channel, url=self._url())
            at += timedelta(seconds=self.rng.randint(40, 600))
        if stage == "subscriber":
            return self.add(at, "form_submit", campaign=p.campaign, channel=p.channel,
                            content="Newsletter sign-up", url=self._url("/newsletter"))  # fmt: skip
        kind, content = self.rng.choice((
            ("content_download", None), ("form_submit", "Catalogue request"),
            ("form_submit", "Trade account request"),
            ("form_submit", "Referral form") if p.channel == "referral" else ("chat", None),
        ))  # fmt: skip
        return self.add(at, kind, campaign=p.campaign, channel=p.channel, content=content,
                        url=self._url())  # fmt: skip

    def engage(self, after: datetime, count: int, mean_days: float) -> datetime | None:
        """`count` ordinary touches after `after`; the last instant, None past the end."""
        rng, end, rate = self.rng, self.demo.end, 1 / (mean_days * 86400)
        at = after
        for _ in range(count):
            at = at + timedelta(seconds=int(rng.expovariate(rate)) + 300)
            if at.astimezone(MADRID).hour < 7 and rng.random() < 0.8:
                at += timedelta(hours=8)  # people mostly read and browse by day
            if at >= end:
                return None
            self._touch(at)
        return at

    def _touch(self, at: datetime) -> None:
        rng = self.rng
        kind = TOUCH_KIND_CHOICE.pick(rng)
        if kind in ("email_open", "email_click"):
            emails, _ads = self.demo.touch_campaigns(self.p.company.persona.key,
                                                     self.p.product_line)  # fmt: skip
            self.add(at, kind, campaign=rng.choice(emails))
        elif kind == "ad_click":
            _emails, ads = self.demo.touch_campaigns(self.p.company.persona.key,
                                                     self.p.product_line)  # fmt: skip
            self.add(at, kind, campaign=rng.choice(ads), url=self._url())
        elif kind == "form_submit":
            self.add(at, kind, channel="direct", content="Newsletter preferences",
                     url=self._url("/preferences"))  # fmt: skip
        else:
            channel = BROWSE_CHANNEL_CHOICE.pick(rng)
            self.add(at, kind, channel=channel, url=self._url(f"/{rng.randint(1, 40)}"))

    def trigger(self, after: datetime, lead: bool = False) -> datetime | None:
        """The high-intent touch that makes the contact an MQL."""
        if self.p.channel == "event" and after == self.p.created_at:
            return after  # the badge scan at the fair is the trigger
        at = after + timedelta(seconds=self.rng.randint(600, 3 * 86400))
        if at >= self.demo.end:
            return None
        kind, content = self.rng.choice(HIGH_INTENT)
        channel = TRIGGER_CHANNEL_CHOICE.pick(self.rng)
        return self.add(at, kind, channel=channel, content=content, url=self._url("/contact"),
                        lead=lead)  # fmt: skip


class _Handoff:
    """Sales' side of one MQL: assignment, attempts, decision, opportunity and deal."""

    def __init__(self, demo: _Demo, rng: random.Random, person: _Person, story: _Story) -> None:
        self.demo, self.rng, self.p, self.story = demo, rng, person, story
        self.end = demo.end
        self.team = TEAM_OF_COUNTRY[person.company.country]

    def _rep(self, at: datetime, exclude: DemoUser | None = None) -> DemoUser:
        day = at.astimezone(MADRID).date()
        portuguese = self.p.company.country == "PT"
        key = (self.team, exclude.email if exclude else None, day, portuguese)
        choice = self.demo.rep_choices.get(key)
        if choice is None:
            reps = [r for r in _reps(self.team) if r is not exclude and not self._away(r, day)]
            reps = reps or [r for r in _reps(self.team) if r is not exclude]
            weights = [float(r.weight or 1) for r in reps]
            if portuguese:  # Portuguese leads go mostly to Inês
                weights = [w * 4 if r.locale == "pt" else w
                           for r, w in zip(reps, weights, strict=True)]  # fmt: skip
            choice = self.demo.rep_choices[key] = _Weighted(reps, weights)
        return choice.pick(self.rng)

    def _away(self, rep: DemoUser, day: date) -> bool:
        if rep.away is None:
            return False
        first, last = (self.demo.today + timedelta(days=d) for d in rep.away)
        return first <= day <= last

    def _attempt_id(self) -> str:
        self.attempts += 1
        return f"nw-att-{self.p.index}-{self.attempts_base + self.attempts}"

    def run(self, mql_at: datetime) -> datetime | None:
        """Play the handoff; returns when the contact was recycled to marketing, if it was."""
        rng = self.rng
        self.attempts = 0
        self.attempts_base = sum(1 for r in self.story.items if r[2]["type"] == "attempt")
        if rng.random() < 0.9:
            assigned = mql_at + timedelta(seconds=rng.randint(60, 900))
            by, reason = "system", f"Round robin · {TEAMS[self.team][0]}"
        else:
            assigned = self.demo.business(SLA_CALENDAR, mql_at, rng.uniform(0.5, 6))
            by, reason = USERS[1].email, "Manual triage: key account"
        if assigned >= self.end:
            return None
        rep = self._rep(assigned)
        self._assign(assigned, rep, by, reason)
        return self._work(rep, assigned, may_reassign=True)

    def _assign(self, at: datetime, rep: DemoUser, by: str, reason: str) -> None:
        self.story.add(at, {"type": "assignment", "contact": self.p.email, "owner": rep.email,
                            "at": _fmt(at), "by": by, "reason": reason})  # fmt: skip

    def _decide(self, at: datetime, rep: DemoUser, accepted: bool, reason: str | None = None,
                then: str | None = None, comment: str | None = None) -> None:  # fmt: skip
        self.story.add(at, _drop_none({
            "type": "decision", "contact": self.p.email, "by": rep.email,
            "decision": "accepted" if accepted else "rejected", "at": _fmt(at),
            "reason": reason, "then": then, "comment": comment,
        }))  # fmt: skip

    def _work(self, rep: DemoUser, assigned: datetime, may_reassign: bool) -> datetime | None:
        rng = self.rng
        calendar = rep.calendar or TEAMS[self.team][1]
        if rng.random() < 0.04:  # the rep looks at the profile and disqualifies at once
            at = self.demo.business(calendar, assigned, rng.uniform(0.2, 3))
            if at < self.end:
                reason, then, _w = EARLY_REJECTION_CHOICE.pick(rng)
                self._decide(at, rep, False, reason, then)
            return None
        roll = rng.random()
        if roll < rep.missing:
            if may_reassign and rng.random() < 0.6:
                at = self.demo.business(SLA_CALENDAR, assigned, rng.uniform(10, 24))
                if at < self.end:
                    manager = _manager(self.team)
                    other = self._rep(at, exclude=rep)
                    self._assign(at, other, manager.email,
                                 "SLA breach: no first attempt within 8 business hours")
                    return self._work(other, at, may_reassign=False)
            return None
        if roll < rep.missing + rep.late:
            delay = rng.uniform(8.3, 30)
        else:
            delay = min(7.6, rng.expovariate(1 / 1.4) + 0.05)
        at = self.demo.business(SLA_CALENDAR, assigned, delay)
        connected_at: datetime | None = None
        for number in range(1, 6):
            if at >= self.end:
                return None
            kinds = FIRST_ATTEMPT_KIND_CHOICE if number == 1 else LATER_ATTEMPT_KIND_CHOICE
            kind = kinds.pick(rng)
            outcome = self._outcome(kind)
            self.story.add(at, _drop_none({
                "type": "attempt", "id": self._attempt_id(), "contact": self.p.email,
                "by": rep.email, "kind": kind, "at": _fmt(at), "outcome": outcome,
            }))  # fmt: skip
            if outcome == "bounced" and kind == "email":
                reason = "Invalid contact details (email bounced)"
                decided = self.demo.business(calendar, at, rng.uniform(0.2, 4))
                if decided < self.end:
                    self._decide(decided, rep, False, reason, "disqualify")
                return None
            if outcome in ("connected", "replied"):
                connected_at = at
                break
            if number == 5 or rng.random() < rep.gives_up:
                break
            at = self.demo.business(calendar, at, rng.uniform(4, 20))
        if connected_at is None:
            if rng.random() < (0.55 if number == 5 else 0.25):
                decided = self.demo.business(calendar, at, rng.uniform(4, 24))
                if decided < self.end:
                    self._decide(decided, rep, False, UNRESPONSIVE, "recycle")
                    return decided
            return None
        return self._qualify(rep, calendar, connected_at)

    def _outcome(self, kind: str) -> str | None:
        rng, intent = self.rng, self.p.intent
        if kind == "call":
            if rng.random() < 0.36 * intent:
                return "connected"
            return "no_answer" if rng.random() < 0.6 else "left_message"
        if kind == "email":
            roll = rng.random()
            if roll < 0.03:
                return "bounced"
            return "replied" if roll < 0.03 + 0.26 * intent else None
        return "replied" if rng.random() < 0.15 * intent else None

    def _qualify(self, rep: DemoUser, calendar: str, connected: datetime) -> datetime | None:
        rng, p = self.rng, self.p
        at = connected
        if rng.random() < 0.25:  # a meeting before deciding
            at = self.demo.business(calendar, at, rng.uniform(8, 40))
            if at >= self.end:
                return None
            self.story.add(at, {"type": "attempt", "id": self._attempt_id(),
                                "contact": p.email, "by": rep.email, "kind": "meeting",
                                "at": _fmt(at), "outcome": "connected"})  # fmt: skip
        decided = self.demo.business(calendar, at, rng.uniform(0.3, 16))
        if decided >= self.end:
            return None
        p_accept = 0.78 + (0.1 if p.channel in ("event", "referral") else 0.0) - (
            0.12 if p.channel in ("display", "social") else 0.0)
        if rng.random() >= p_accept:
            reason, then, _w = REJECTION_CHOICE.pick(rng)
            self._decide(decided, rep, False, reason, then)
            return decided if then == "recycle" else None
        comment = rng.choice((None, "Project confirmed, budget approved",
                              "Wants a proposal this month", "Visiting the showroom next week"))
        self._decide(decided, rep, True, comment=comment)
        if rng.random() >= 0.62:
            return None
        return self._sell(rep, decided)

    def _sell(self, rep: DemoUser, accepted: datetime) -> datetime | None:
        rng, p = self.rng, self.p
        opened = self._office_hours(accepted, rng.randint(2, 25))
        if opened >= self.end:
            return None
        self.story.add(opened, {"type": "stage_change", "contact": p.email, "to": "opportunity",
                                "at": _fmt(opened), "by": rep.email})  # fmt: skip
        name, amount = self._deal_size()
        low, high = CLOSE_DAYS[p.product_line]
        closes = self._office_hours(opened, rng.randint(low, high))
        number = 1 + sum(1 for item in self.story.items if item[2]["type"] == "deal")
        deal: Record = {"type": "deal", "id": f"nw-deal-{p.index}-{number}",
                        "contact": p.email, "name": f"{p.company.name} – {name}",
                        "amount": amount, "status": "open", "created_at": _fmt(opened),
                        "product_line": p.product_line, "owner": rep.email}  # fmt: skip
        recycled = None
        if closes < self.end:
            bonus = 0.1 if p.channel in ("event", "referral") else 0.0
            won = rng.random() < P_WIN[p.product_line] + bonus
            deal.update(status="won" if won else "lost", closed_at=_fmt(closes))
            if not won:
                deal["lost_reason"] = rng.choice(LOST_REASONS)
        self.story.add(opened, deal)
        if deal["status"] == "won":
            self.story.add(closes, {"type": "stage_change", "contact": p.email, "to": "customer",
                                    "at": _fmt(closes), "by": rep.email})  # fmt: skip
            fan = closes + timedelta(days=rng.randint(45, 120))
            if fan < self.end and rng.random() < 0.12:
                self.story.add(fan, {"type": "stage_change", "contact": p.email,
                                     "to": "evangelist", "at": _fmt(fan), "by": rep.email,
                                     "reason": "Agreed to a case study"})  # fmt: skip
        elif deal["status"] == "lost" and rng.random() < 0.5:
            back = closes + timedelta(hours=2)
            if back < self.end:
                self.story.add(back, {"type": "stage_change", "contact": p.email, "to": "lead",
                                      "at": _fmt(back), "by": rep.email,
                                      "reason": f"Deal lost ({deal['lost_reason']}); back to "
                                                "nurture"})  # fmt: skip
                recycled = back
        return recycled

    def _office_hours(self, after: datetime, days: int) -> datetime:
        """An instant in office hours `days` days after `after` (days >= 1)."""
        day = after.astimezone(MADRID).date() + timedelta(days=days)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return _local(day, self.rng.randrange(9 * 60, 18 * 60))

    def _deal_size(self) -> tuple[str, str]:
        rng, p = self.rng, self.p
        if p.product_line == "kitchens":
            if p.company.persona.key == "kitchen_studio":
                n = rng.randint(1, 4)
                return f"{n} showroom display kitchen{'s' if n > 1 else ''}", _money(
                    n * rng.uniform(7500, 14000))
            n = rng.choice((1, 1, 2, 4, 8, 12, 24))
            return f"Residential project: {n} kitchen{'s' if n > 1 else ''}", _money(
                n * rng.uniform(6000, 12000))
        if p.product_line == "office":
            n = rng.randint(20, 300)
            return f"Office fit-out: {n} workstations", _money(n * rng.uniform(650, 1100))
        n = rng.randint(30, 250)
        return f"Hotel refurbishment: {n} rooms", _money(n * rng.uniform(1800, 3500))


def generate(contacts: int, seed: int, now: datetime) -> Iterator[Record]:
    """Yield the demo workspace as interchange records, in an order that imports cleanly.

    Deterministic: the same `contacts`, `seed` and date of `now` (in Europe/Madrid) give
    the same records. Every instant is before midnight of that date.
    """
    demo = _Demo(contacts, seed, now)
    yield from demo.setup()
    yield from demo.companies()
    yield from demo.contacts_and_stories()
