"""The operator's inventory of service numbers: where they ring (country, region, city),
what they are (geographic, national, toll-free), and finding some that are free.

Numbers are stored in E.164 and classified with phonenumbers. A search is equal on
(country, type, area, state) and a range on the number, which is the order of the index
`ix_service_number_search`: it stays fast over millions of numbers.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

import phonenumbers
from phonenumbers import PhoneNumberType
from sqlalchemy import and_, exists, insert, or_, select

from extensions import db
from telephony.models import (
    AliasNumber,
    Country,
    InventoryState,
    Line,
    LineStatus,
    NumberArea,
    NumberQuarantine,
    NumberType,
    ServiceNumber,
)
from telephony.settings import settings

CALLING_CODES = {"FR": "33", "BE": "32", "CH": "41"}

#: The areas of the demo inventory: (country, region, city, area code: national digits
#: after the trunk 0). Real area codes; the cities' own names.
DEMO_AREAS = (
    ("FR", "Île-de-France", "Paris", "14"),
    ("FR", "Auvergne-Rhône-Alpes", "Lyon", "472"),
    ("FR", "Auvergne-Rhône-Alpes", "Grenoble", "476"),
    ("FR", "Provence-Alpes-Côte d'Azur", "Marseille", "491"),
    ("FR", "Provence-Alpes-Côte d'Azur", "Nice", "493"),
    ("FR", "Hauts-de-France", "Lille", "320"),
    ("FR", "Nouvelle-Aquitaine", "Bordeaux", "556"),
    ("FR", "Occitanie", "Toulouse", "561"),
    ("FR", "Pays de la Loire", "Nantes", "240"),
    ("FR", "Grand Est", "Strasbourg", "388"),
    ("BE", "Bruxelles-Capitale – Brussel-Hoofdstad", "Bruxelles – Brussel", "25"),
    ("BE", "Vlaanderen", "Antwerpen", "32"),
    ("BE", "Vlaanderen", "Gent", "92"),
    ("BE", "Vlaanderen", "Brugge", "50"),
    ("BE", "Wallonie", "Liège", "42"),
    ("BE", "Wallonie", "Namur", "81"),
    ("BE", "Wallonie", "Charleroi", "71"),
    ("CH", "Genève", "Genève", "22"),
    ("CH", "Vaud", "Lausanne", "21"),
    ("CH", "Bern", "Bern", "31"),
    ("CH", "Zürich", "Zürich", "44"),
    ("CH", "Ticino", "Lugano", "91"),
)
#: National (non-geographic) and toll-free prefixes of the demo inventory, per country.
#: French 09 numbers (not 0972 10, the demo lines' block); 0800 to 0805, free for the caller.
DEMO_PREFIXES = {
    ("FR", NumberType.NATIONAL): ("977", "978"),
    ("FR", NumberType.TOLL_FREE): ("800", "801", "805"),
    ("BE", NumberType.NATIONAL): ("78",),
    ("BE", NumberType.TOLL_FREE): ("800",),
    ("CH", NumberType.NATIONAL): ("58",),
}
#: What phonenumbers says a number is → our type. Others are not sold as service numbers.
TYPES = {
    PhoneNumberType.FIXED_LINE: NumberType.GEOGRAPHIC,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: NumberType.GEOGRAPHIC,
    PhoneNumberType.VOIP: NumberType.NATIONAL,
    PhoneNumberType.UAN: NumberType.NATIONAL,
    PhoneNumberType.SHARED_COST: NumberType.NATIONAL,
    PhoneNumberType.TOLL_FREE: NumberType.TOLL_FREE,
}
#: Longest "contains" or "starts with" digits a search takes.
MAX_DIGITS = 10


#: Swiss toll-free and special numbers (0800, 084x, 090x): the regulator allocates them to
#: their holder; they come by porting only, with the proof of allocation.
SWISS_ALLOCATED = ("+41800", "+4184", "+4190")


def types_sold(country: str) -> tuple[NumberType, ...]:
    return tuple(NumberType(kind) for kind in settings().service_number_types.get(country, ()))


def classify(number: str) -> tuple[str, str, NumberType] | None:
    """(E.164, country, type) of a number in international form, or None when it is not a
    valid number of one of our countries that can be a service number."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    country = phonenumbers.region_code_for_number(parsed)
    kind = TYPES.get(phonenumbers.number_type(parsed))
    if country not in CALLING_CODES or kind is None or not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), country, kind


#: National significant digits of the numbers the inventory holds, per country.
NATIONAL_LENGTH = {"FR": 9, "BE": 8, "CH": 9}


def generate(
    rng: random.Random, country: str, prefix: str, kind: NumberType, count: int
) -> Iterator[str]:
    """`count` distinct valid numbers of `kind` starting with `prefix` (national digits),
    at random: each checked with phonenumbers."""
    length = NATIONAL_LENGTH[country]
    seen: set[str] = set()
    tries = 0
    while len(seen) < count and tries < count * 50:
        tries += 1
        rest = "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))
        candidate = f"+{CALLING_CODES[country]}{prefix}{rest}"
        if candidate in seen:
            continue
        found = classify(candidate)
        if found and found[1] == country and found[2] == kind:
            seen.add(candidate)
            yield candidate


def ensure_areas(areas: Iterable[tuple[str, str, str, str]]) -> dict[tuple[str, str, str], int]:
    """The ids of these areas (country, region, city, area code), added when new."""
    wanted = {(c, r, city): code for c, r, city, code in areas}
    known = {
        (a.country.value, a.region, a.city): a
        for a in db.session.scalars(select(NumberArea))
        if (a.country.value, a.region, a.city) in wanted
    }
    for key, code in wanted.items():
        if key not in known:
            area = NumberArea(country=Country(key[0]), region=key[1], city=key[2], area_code=code)
            db.session.add(area)
            known[key] = area
    db.session.flush()
    return {key: area.id for key, area in known.items()}


def add_numbers(rows: Iterable[dict], chunk: int = 5000) -> int:
    """Insert inventory numbers (dicts of number, country, number_type, area_id) in bulk,
    leaving out those the inventory has already. Returns how many were added."""
    added = 0
    batch: list[dict] = []

    def flush() -> int:
        present = set(
            db.session.scalars(
                select(ServiceNumber.number).where(
                    ServiceNumber.number.in_([row["number"] for row in batch])
                )
            )
        )
        fresh = [row for row in batch if row["number"] not in present]
        if fresh:
            db.session.execute(
                insert(ServiceNumber),
                [{"state": InventoryState.AVAILABLE, "ported": False, **row} for row in fresh],
            )
        return len(fresh)

    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            added += flush()
            batch = []
    if batch:
        added += flush()
    return added


def demo_inventory(per_area: int = 40, seed: int = 3) -> int:
    """The demo's inventory: `per_area` numbers in each city, and as many national and
    toll-free numbers per prefix."""
    rng = random.Random(seed)
    ids = ensure_areas(DEMO_AREAS)
    rows = []
    for country, region, city, code in DEMO_AREAS:
        for number in generate(rng, country, code, NumberType.GEOGRAPHIC, per_area):
            rows.append(
                {
                    "number": number,
                    "country": country,
                    "number_type": NumberType.GEOGRAPHIC,
                    "area_id": ids[(country, region, city)],
                }
            )
    for (country, kind), prefixes in DEMO_PREFIXES.items():
        for prefix in prefixes:
            for number in generate(rng, country, prefix, kind, per_area):
                rows.append(
                    {"number": number, "country": country, "number_type": kind, "area_id": None}
                )
    return add_numbers(rows)


@dataclass(frozen=True)
class ImportReport:
    added: int
    #: (line of the file, what was wrong)
    refused: list[tuple[int, str]]


def import_csv(text: str) -> ImportReport:
    """Import numbers from CSV (header: number,region,city; region and city for geographic
    numbers). Each number is checked and classified with phonenumbers; a wrong line is
    reported and left out, the others are added (numbers already there are skipped)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"number", "region", "city"} - set(reader.fieldnames or ())
    if missing:
        return ImportReport(0, [(1, "missing columns: " + ", ".join(sorted(missing)))])
    refused: list[tuple[int, str]] = []
    rows: list[tuple[str, str, NumberType, tuple[str, str, str] | None, str]] = []
    row_lines: list[int] = []
    seen: set[str] = set()
    for line, record in enumerate(reader, start=2):
        found = classify((record.get("number") or "").strip())
        if found is None:
            refused.append((line, "not a valid FR, BE or CH service number"))
            continue
        number, country, kind = found
        if number.startswith(SWISS_ALLOCATED):
            refused.append((line, "a Swiss special number is allocated to its holder, not sold"))
            continue
        if number in seen:
            refused.append((line, "twice in the file"))
            continue
        seen.add(number)
        region = (record.get("region") or "").strip()[:80]
        city = (record.get("city") or "").strip()[:80]
        area = None
        code = ""
        if kind == NumberType.GEOGRAPHIC:
            if not region or not city:
                refused.append((line, "a geographic number needs its region and city"))
                continue
            parsed = phonenumbers.parse(number)
            national = phonenumbers.national_significant_number(parsed)
            code = national[: phonenumbers.length_of_geographical_area_code(parsed) or 2]
            area = (country, region, city)
        rows.append((number, country, kind, area, code))
        row_lines.append(line)
    # A number a customer has (a line, an alias number) or had lately (in quarantine) is
    # not stock, whatever the file says.
    wanted = [number for number, *_rest in rows]
    in_use: set[str] = set()
    kept_aside: dict[str, object] = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        for model in (Line, AliasNumber):
            in_use.update(
                db.session.scalars(
                    select(model.number).where(
                        model.number.in_(chunk), model.status == LineStatus.ACTIVE
                    )
                )
            )
        kept_aside.update(
            db.session.execute(
                select(NumberQuarantine.number, NumberQuarantine.until).where(
                    NumberQuarantine.number.in_(chunk)
                )
            ).all()
        )
    lines_of = {number: line for line, (number, *_r) in zip(row_lines, rows, strict=True)}
    kept = []
    for row in rows:
        if row[0] in in_use:
            refused.append((lines_of[row[0]], "in use by a customer"))
        elif row[0] in kept_aside:
            refused.append((lines_of[row[0]], f"in quarantine until {kept_aside[row[0]]}"))
        else:
            kept.append(row)
    rows = kept
    ids = ensure_areas({(*area, code) for _n, _c, _k, area, code in rows if area})
    added = add_numbers(
        {
            "number": number,
            "country": country,
            "number_type": kind,
            "area_id": ids[area] if area else None,
        }
        for number, country, kind, area, _code in rows
    )
    return ImportReport(added, sorted(refused))


# --- Search ---------------------------------------------------------------------------------


def regions(country: str) -> list[str]:
    return list(
        db.session.scalars(
            select(NumberArea.region)
            .where(NumberArea.country == country)
            .distinct()
            .order_by(NumberArea.region)
        )
    )


def cities(country: str, region: str) -> list[NumberArea]:
    return list(
        db.session.scalars(
            select(NumberArea)
            .where(NumberArea.country == country, NumberArea.region == region)
            .order_by(NumberArea.city)
        )
    )


@dataclass(frozen=True)
class Search:
    """What the customer looks for. `area_ids`: the cities (geographic numbers), none
    for national and toll-free numbers; `starts_with` and `contains`: national digits."""

    country: str
    number_type: NumberType
    area_ids: tuple[int, ...] = ()
    starts_with: str = ""
    contains: str = ""


def e164_prefix(country: str, digits: str) -> str:
    """National digits as people type them (0472…, 472…) → the E.164 prefix (+33472…)."""
    return f"+{CALLING_CODES[country]}{digits.removeprefix('0')}"


def free(now: datetime):
    """A number anybody may take now: available, or held by a reservation that has ended;
    and not taken back from a deleted service less than its quarantine ago (the renewal
    run's `number_quarantine`, should the operator have put such a number in stock); never
    one ported in once and given back (it is its range holder's, not ours to sell)."""
    return and_(
        ServiceNumber.ported.is_(False),
        or_(
            ServiceNumber.state == InventoryState.AVAILABLE,
            and_(ServiceNumber.state == InventoryState.RESERVED, ServiceNumber.held_until < now),
        ),
        ~exists().where(
            NumberQuarantine.number == ServiceNumber.number,
            NumberQuarantine.until > now.date(),
        ),
    )


def _matching(search: Search, state_condition):
    query = select(ServiceNumber.id, ServiceNumber.number).where(
        ServiceNumber.country == search.country,
        ServiceNumber.number_type == search.number_type,
        state_condition,
        ServiceNumber.ported.is_(False),  # (free(): not ours to sell)
    )
    if search.number_type == NumberType.GEOGRAPHIC:
        if len(search.area_ids) == 1:
            query = query.where(ServiceNumber.area_id == search.area_ids[0])
        elif search.area_ids:
            query = query.where(ServiceNumber.area_id.in_(search.area_ids))
    else:
        query = query.where(ServiceNumber.area_id.is_(None))
    if search.starts_with:
        low = e164_prefix(search.country, search.starts_with)
        query = query.where(ServiceNumber.number >= low, ServiceNumber.number < low + ":")
    if search.contains:
        query = query.where(ServiceNumber.number.contains(search.contains, autoescape=True))
    return query


def find_free(search: Search, limit: int, now: datetime, exclude: Collection[int] = frozenset()):
    """Up to `limit` numbers free now that match (id, number), in number order within each
    city. Each query is one range of an index, equal on (country, type, area, state): the
    cities of a region are asked one after the other (an IN over them lets PostgreSQL's
    planner read the table instead). Numbers whose hold has ended (few) are looked for
    apart, through the index on held_until."""
    wanted = limit + len(exclude)
    if search.number_type == NumberType.GEOGRAPHIC and len(search.area_ids) > 1:
        parts = [replace(search, area_ids=(area_id,)) for area_id in search.area_ids]
    else:
        parts = [search]
    found: dict[int, str] = {}
    for part in parts:
        available = (
            _matching(part, ServiceNumber.state == InventoryState.AVAILABLE)
            .order_by(ServiceNumber.number)
            .limit(wanted)
        )
        ended = _matching(
            part,
            and_(ServiceNumber.state == InventoryState.RESERVED, ServiceNumber.held_until < now),
        ).limit(wanted)
        for query in (available, ended):
            for row in db.session.execute(query):
                if row.id not in exclude:
                    found[row.id] = row.number
        if len(found) >= limit:
            break
    return sorted(found.items(), key=lambda item: item[1])[:limit]
