"""Country codes: one table joining ISO 3166, UN M49 and CEPII BACI / UN Comtrade codes.

Why: every dataset econsec reads names economies differently — ETO uses ISO3, BACI and
Comtrade use their own numeric codes (USA = 842, Taiwan = 490 "Other Asia, nes"), USGS and
Global Trade Alert use English names with their own spellings ("Korea, Republic of",
"Congo (Kinshasa)", "Chinese Taipei").  All of them are harmonised to ISO 3166-1 alpha-3
here, so that the rest of econsec only ever sees ``USA``, ``JPN``, ``KOR``, ``CHN``,
``TWN`` ...

The ISO part comes from :mod:`pycountry`; the BACI codes that differ from ISO numeric are a
short literal table (:data:`BACI_EXCEPTIONS`) taken from CEPII's BACI country dictionary.
Tables are built lazily and cached (no work at import time).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal

import pandas as pd

Scheme = Literal["iso3", "iso2", "iso_numeric", "m49", "baci", "name"]

#: BACI / UN Comtrade numeric codes that are not the ISO 3166-1 numeric code of the
#: economy they stand for, with the ISO3 econsec maps them to.  Source: CEPII, BACI
#: country dictionary ``country_codes_V202501.csv`` (identical in V202601), shipped in
#: every BACI zip, http://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37 .
#: Historical entities keep their ISO 3166-3 code (CSK, DDR, SUN, SCG, ANT).
BACI_EXCEPTIONS: dict[int, str] = {
    58: "BEL",  # Belgium-Luxembourg (...1998): reported as Belgium
    200: "CSK",  # Czechoslovakia (...1992)
    251: "FRA",  # France (incl. Monaco); ISO 250
    278: "DDR",  # Dem. Rep. of Germany (...1990)
    280: "DEU",  # Fed. Rep. of Germany (...1990); ISO 276
    490: "TWN",  # "Other Asia, nes" (BACI ISO3 placeholder S19): Taiwan in practice; ISO 158
    530: "ANT",  # Netherlands Antilles (...2010)
    579: "NOR",  # Norway (incl. Svalbard and Jan Mayen); ISO 578
    699: "IND",  # India; ISO 356
    711: "ZAF",  # Southern African Customs Union (...1999), reported by South Africa
    736: "SDN",  # Sudan (...2011), before South Sudan's independence; ISO 729
    757: "CHE",  # Switzerland (incl. Liechtenstein); ISO 756
    810: "SUN",  # USSR (...1990)
    842: "USA",  # USA (incl. Puerto Rico and US Virgin Islands); ISO 840
    849: "UMI",  # US Misc. Pacific Islands (BACI ISO3 placeholder PUS)
    891: "SCG",  # Serbia and Montenegro (...2005)
}
#: BACI codes with no single economy behind them (mapped to no ISO3).
BACI_UNMAPPED: dict[int, str] = {697: "Europe EFTA, nes"}

#: The BACI code econsec writes for an ISO3 today (the reverse of the current exceptions).
_BACI_CURRENT: dict[str, int] = {
    "FRA": 251,
    "TWN": 490,
    "NOR": 579,
    "IND": 699,
    "CHE": 757,
    "USA": 842,
}

#: Codes econsec accepts that ISO 3166-1 does not assign (user-assigned Kosovo code, as
#: used by the EU and the World Bank).
_EXTRA_ECONOMIES: list[dict[str, object]] = [
    {"iso3": "XKX", "iso2": "XK", "iso_numeric": None, "name": "Kosovo"},
]

#: Common names used by GTA, USGS, Comtrade and the press that pycountry does not know.
NAME_ALIASES: dict[str, str] = {
    "republic of korea": "KOR",
    "korea republic of": "KOR",
    "korea rep": "KOR",
    "south korea": "KOR",
    "korea south": "KOR",
    "korea": "KOR",
    "dpr korea": "PRK",
    "korea north": "PRK",
    "north korea": "PRK",
    "korea dem people's rep": "PRK",
    "united states of america": "USA",
    "united states": "USA",
    "usa": "USA",
    "us": "USA",
    "u s": "USA",
    "taiwan": "TWN",
    "chinese taipei": "TWN",
    "taiwan province of china": "TWN",
    "other asia nes": "TWN",
    "hong kong": "HKG",
    "hong kong sar": "HKG",
    "china hong kong sar": "HKG",
    "macao": "MAC",
    "macau": "MAC",
    "china macao sar": "MAC",
    "china": "CHN",
    "mainland china": "CHN",
    "people's republic of china": "CHN",
    "congo (kinshasa)": "COD",
    "congo kinshasa": "COD",
    "dr congo": "COD",
    "drc": "COD",
    "democratic republic of the congo": "COD",
    "congo dem rep": "COD",
    "congo (brazzaville)": "COG",
    "congo brazzaville": "COG",
    "republic of the congo": "COG",
    "burma": "MMR",
    "myanmar": "MMR",
    "russia": "RUS",
    "russian federation": "RUS",
    "vietnam": "VNM",
    "viet nam": "VNM",
    "turkey": "TUR",
    "turkiye": "TUR",
    "laos": "LAO",
    "lao": "LAO",
    "lao pdr": "LAO",
    "iran": "IRN",
    "syria": "SYR",
    "bolivia": "BOL",
    "venezuela": "VEN",
    "tanzania": "TZA",
    "moldova": "MDA",
    "czech republic": "CZE",
    "macedonia": "MKD",
    "north macedonia": "MKD",
    "ivory coast": "CIV",
    "cote d'ivoire": "CIV",
    "cape verde": "CPV",
    "swaziland": "SWZ",
    "brunei": "BRN",
    "vatican": "VAT",
    "holy see": "VAT",
    "micronesia": "FSM",
    "state of palestine": "PSE",
    "palestine": "PSE",
    "faeroe islands": "FRO",
    "faroe islands": "FRO",
    "falkland islands": "FLK",
    "saint helena": "SHN",
    "saint barthelemy": "BLM",
    "saint martin": "MAF",
    "svalbard and jan mayen islands": "SJM",
    "wallis and futuna islands": "WLF",
    "us virgin islands": "VIR",
    "united kingdom": "GBR",
    "uk": "GBR",
    "great britain": "GBR",
    "netherlands antilles": "ANT",
    "republic of kosovo": "XKX",
    "kosovo": "XKX",
    "east timor": "TLS",
    "gambia": "GMB",
    "the gambia": "GMB",
    "bahamas": "BHS",
    "the bahamas": "BHS",
    "curacao": "CUW",
    "reunion": "REU",
    "bosnia": "BIH",
    "caribbean netherlands": "BES",
    "cocos islands": "CCK",
    "heard and mcdonald islands": "HMD",
    "vatican city": "VAT",
    "sint maarten": "SXM",
    "south georgia and south sandwich islands": "SGS",
    "us outlying islands": "UMI",
    "u s outlying islands": "UMI",
    "u s virgin islands": "VIR",
    "saint vincent and grenadines": "VCT",
    "united states virgin islands": "VIR",
    "china hong kong special administrative region": "HKG",
    "china macao special administrative region": "MAC",
}


def normalize_name(name: str) -> str:
    """Lower-case, accent-free, punctuation-light form of a country name for lookups.

    ``'Türkiye'`` -> ``'turkiye'``; ``'Saint Vincent & the Grenadines'`` ->
    ``'saint vincent and the grenadines'``; ``'Korea, Republic of'`` -> ``'korea republic of'``.
    """
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("&", " and ")
    text = text.lower().replace("-", " ").replace(",", " ").replace(".", " ")
    text = re.sub(r"\s+", " ", text).strip()
    if text.startswith("the "):
        text = text[4:]
    return text


@functools.cache
def _name_index() -> dict[str, str]:
    import pycountry

    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(normalize_name(value), country.alpha_3)
    for country in pycountry.historic_countries:
        index.setdefault(normalize_name(country.name), country.alpha_3)
    for alias, iso3 in NAME_ALIASES.items():
        index[normalize_name(alias)] = iso3
    return index


@functools.cache
def _country_table() -> pd.DataFrame:
    import pycountry

    rows: list[dict[str, object]] = []
    for country in pycountry.countries:
        numeric = int(country.numeric)
        rows.append(
            {
                "iso3": country.alpha_3,
                "iso2": country.alpha_2,
                "iso_numeric": numeric,
                "m49": numeric,
                "baci": _BACI_CURRENT.get(country.alpha_3, numeric),
                "name": getattr(country, "common_name", None) or country.name,
            }
        )
    for extra in _EXTRA_ECONOMIES:
        rows.append({**extra, "m49": None, "baci": None})
    table = pd.DataFrame(rows)
    for col in ("iso_numeric", "m49", "baci"):
        table[col] = table[col].astype("Int64")
    return table.sort_values("iso3", ignore_index=True)


def country_table() -> pd.DataFrame:
    """One row per economy: ``iso3, iso2, iso_numeric, m49, baci, name``.

    Built from pycountry (ISO 3166-1) plus :data:`BACI_EXCEPTIONS`; M49 equals the ISO
    numeric code for every country.  ``baci`` is the code BACI uses today (842 for the USA,
    490 for Taiwan).  Kosovo is added as ``XKX`` (user-assigned, no numeric code).
    """
    return _country_table().copy()


@functools.cache
def _lookup(scheme: str) -> dict[str, str]:
    table = _country_table()
    if scheme == "name":
        return _name_index()
    if scheme in ("iso3", "iso2"):
        out = {str(v).upper(): str(i) for v, i in zip(table[scheme], table["iso3"], strict=True)}
        if scheme == "iso3":
            import pycountry

            out.update({c.alpha_3: c.alpha_3 for c in pycountry.historic_countries})
        return out
    out = {
        str(int(v)): str(i)
        for v, i in zip(table[scheme], table["iso3"], strict=True)
        if not pd.isna(v)
    }
    if scheme == "baci":
        out.update({str(code): iso3 for code, iso3 in BACI_EXCEPTIONS.items()})
        # ISO numeric codes that BACI replaced are not BACI codes
        for iso_code in (250, 158, 578, 356, 756, 840):
            out.pop(str(iso_code), None)
    return out


def to_iso3(code: str | int, scheme: Scheme) -> str:
    """Translate *code* in *scheme* to an ISO 3166-1 alpha-3 code.

    Raises ``KeyError`` with a message naming the code and the scheme when it is unknown.

    >>> to_iso3(842, "baci"), to_iso3("490", "baci"), to_iso3("KR", "iso2")
    ('USA', 'TWN', 'KOR')
    """
    if scheme not in ("iso3", "iso2", "iso_numeric", "m49", "baci", "name"):
        raise KeyError(f"unknown country code scheme {scheme!r}")
    if scheme == "name":
        iso3 = name_to_iso3(str(code))
        if iso3 is None:
            raise KeyError(f"unknown country name {code!r}")
        return iso3
    if scheme in ("iso3", "iso2"):
        key = str(code).strip().upper()
    else:
        text = str(code).strip()
        if not text.isdigit():
            raise KeyError(f"{code!r} is not a numeric {scheme} country code")
        key = str(int(text))
    try:
        return _lookup(scheme)[key]
    except KeyError:
        raise KeyError(f"unknown {scheme} country code {code!r}") from None


def name_to_iso3(name: str) -> str | None:
    """ISO3 for a country *name* as GTA, USGS, Comtrade or the press spell it, else None.

    Knows pycountry's names, official and common names, historic countries and
    :data:`NAME_ALIASES` ("Republic of Korea", "Korea, Republic of", "Chinese Taipei",
    "Congo (Kinshasa)", "Burma", "Türkiye" ...).  ISO3 codes themselves are accepted too.
    """
    text = str(name).strip()
    if re.fullmatch(r"[A-Z]{3}", text) and text in _lookup("iso3"):
        return text
    index = _name_index()
    for variant in _name_variants(text):
        found = index.get(variant)
        if found is not None:
            return found
    return None


def _name_variants(name: str) -> list[str]:
    """Normalised spellings to try in turn: as given, then without UN-style decorations."""
    base = normalize_name(name)
    variants = [base]
    text = re.sub(r"\s*\*+$", "", name.strip())
    text = re.sub(r"\s*\(the\)$", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^St\.?\s+", "Saint ", text)
    variants.append(normalize_name(text))
    paren = re.fullmatch(r"(.+?)\s*\((.+)\)", text)
    if paren:  # "Bolivia (Plurinational State of)" -> "Plurinational State of Bolivia"
        variants.append(normalize_name(f"{paren.group(2)} {paren.group(1)}"))
        variants.append(normalize_name(paren.group(1)))
    return variants


def baci_to_iso3(codes: pd.Series) -> pd.Series:
    """Map a Series of BACI/Comtrade numeric codes to ISO3 (unknown codes -> <NA>)."""
    table = _lookup("baci")

    def one(value: object) -> object:
        if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
            return pd.NA
        text = str(value).strip()
        if text.endswith(".0"):
            text = text[:-2]
        return table.get(str(int(text)), pd.NA) if text.isdigit() else pd.NA

    return codes.map(one).astype("string")
