"""Where a geographic number may be used: its zone, and whether an address is in it.

- France: a geographic number (01 to 05) belongs to one of five large zones, each a list of
  départements (ARCEP's numbering plan); the address's département is its postcode's first
  two digits (three overseas, 20 for Corsica). 09 numbers have no zone.
- Belgium: a geographic number belongs to its zone (its area code: 2, 3, 4, 9, 10 … 89) and
  ports only within it. The table below knows the postcodes of the zones' main towns, which
  is where most orders come from; a postcode it does not know is not refused (the losing
  carrier checks the rest). The full table is BIPT's list of communes per zone: the operator
  may load it in `be_zones.csv` (postcode,zone), which completes and overrides this one.
- Switzerland: no zone rule here (numbers port within their category).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import phonenumbers

#: France: zone digit → départements (postcode prefixes).
FR_ZONES: dict[str, tuple[str, ...]] = {
    "1": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "2": (
        *("22", "29", "35", "56"),  # Bretagne
        *("14", "27", "50", "61", "76"),  # Normandie
        *("44", "49", "53", "72", "85"),  # Pays de la Loire
        *("18", "28", "36", "37", "41", "45"),  # Centre-Val de Loire
        *("974", "976"),  # La Réunion, Mayotte (0262, 0269)
    ),
    "3": (
        *("02", "59", "60", "62", "80"),  # Hauts-de-France
        *("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),  # Grand Est
        *("21", "25", "39", "58", "70", "71", "89", "90"),  # Bourgogne-Franche-Comté
    ),
    "4": (
        *("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),  # AURA
        *("04", "05", "06", "13", "83", "84"),  # Provence-Alpes-Côte d'Azur
        "20",  # Corse
        *("11", "30", "34", "48", "66"),  # Occitanie, east
    ),
    "5": (
        *("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),  # N.-Aquitaine
        *("09", "12", "31", "32", "46", "65", "81", "82"),  # Occitanie, west
        *("971", "972", "973", "975"),  # Guadeloupe, Martinique, Guyane, St-Pierre (0590…)
    ),
}
_FR_DEPARTMENT_ZONE = {dep: zone for zone, deps in FR_ZONES.items() for dep in deps}

#: Belgium: postcodes of the zones' main towns (the town and its former communes) → zone.
_BE_TOWNS: dict[str, tuple[str, ...]] = {
    "2": tuple(str(code) for code in range(1000, 1220, 10)) + ("1081", "1082", "1083"),
    "3": ("2000", "2018", "2020", "2030", "2040", "2050", "2060", "2100", "2140", "2170")
    + ("2180", "2600", "2610", "2660"),
    "9": ("9000", "9030", "9031", "9032", "9040", "9041", "9042", "9050", "9051", "9052"),
    "4": ("4000", "4020", "4030", "4031", "4032"),
    "50": ("8000", "8200", "8310", "8380"),
    "16": ("3000", "3001", "3010", "3012", "3018"),
    "81": ("5000", "5001", "5002", "5003", "5004", "5020", "5022", "5024", "5100", "5101"),
    "71": ("6000", "6001", "6010", "6020", "6030", "6031", "6032", "6040", "6041", "6042")
    + ("6043", "6044", "6060", "6061"),
    "65": ("7000", "7010", "7011", "7012", "7020", "7021", "7022", "7024", "7030", "7031")
    + ("7032", "7033", "7034"),
    "11": ("3500", "3501", "3510", "3511", "3512"),
    "56": ("8500", "8501", "8510", "8511"),
    "15": ("2800", "2801", "2811", "2812"),
    "59": ("8400",),
    "53": ("9300", "9308", "9310", "9320"),
    "10": ("1300", "1301"),
    "69": ("7500", "7501", "7502", "7503", "7504", "7506", "7520", "7521", "7522", "7530")
    + ("7531", "7532", "7533", "7534", "7536", "7538", "7540", "7542", "7543", "7548"),
    "63": ("6700", "6704", "6706"),
    "87": ("4800", "4801", "4802"),
    "14": ("2300",),
    "89": ("3600",),
}
BE_TABLE = Path(__file__).with_name("be_zones.csv")


@cache
def _be_postcodes() -> dict[str, str]:
    table = {code: zone for zone, codes in _BE_TOWNS.items() for code in codes}
    if BE_TABLE.exists():
        with BE_TABLE.open(encoding="utf-8") as rows:
            for row in csv.reader(rows):
                if len(row) >= 2 and row[0].strip().isdigit():
                    table[row[0].strip()] = row[1].strip().lstrip("0")
    return table


def zone_of(number: str) -> str | None:
    """The zone of a geographic number in E.164 (France: "1" to "5"; Belgium: its area
    code without the 0), or None when the number has no zone."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.national_significant_number(parsed)
    if parsed.country_code == 33 and national[:1] in FR_ZONES:
        return national[0]
    if parsed.country_code == 32:
        length = phonenumbers.length_of_geographical_area_code(parsed)
        return national[:length] if length else None
    return None


def postcode_zone(country: str, postcode: str) -> str | None:
    """The zone an address's postcode is in, or None when the table does not know it."""
    code = "".join(postcode.split())
    if country == "FR" and len(code) == 5 and code.isdigit():
        return _FR_DEPARTMENT_ZONE.get(code[:3]) or _FR_DEPARTMENT_ZONE.get(code[:2])
    if country == "BE" and len(code) == 4 and code.isdigit():
        return _be_postcodes().get(code)
    return None


def outside_zone(country: str, numbers: list[str], postcode: str) -> str | None:
    """The zone of the order's geographic numbers when the address is known to be outside
    it; None when it is inside, or when it cannot be told."""
    zones = {zone for zone in map(zone_of, numbers) if zone}
    where = postcode_zone(country, postcode)
    if len(zones) != 1 or where is None:
        return None
    (zone,) = zones
    return None if where == zone else zone
