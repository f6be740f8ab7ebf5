"""Build ``geo_cases.yaml``: commune queries with expected outcomes, each checked on the raw data.

The queries are written by hand below, per category; this script derives or checks every
expected answer against the raw reference files in ``shared/data/geo`` (never against the
project's own table, so that the evaluation stays independent of the code under test), and
refuses to write the file if a case is not what its category claims.

Run from the repository root::

    python tests/data/make_geo_cases.py [--geo-dir ../shared/data/geo]

Rules the checks enforce:

- Names are compared after folding: accents and case removed, any run of non-alphanumeric
  characters turned into one space (a "compact" key without spaces is checked too).
- A name is unique when exactly one current commune answers to it, counting current names
  and former names (communes déléguées/associées, which point to their ``chefLieu``).
- A homonym is a name shared by at least two current communes.
- A typo is 1 or 2 edits away from its target, on a target name of at least 6 letters; every
  name of any other commune is more edits away, and less similar by ``fuzz.ratio`` too.
- A GPS point sits on a commune's own coordinates (2024 CSV) and no point of any other
  commune or former commune of the CSV lies within 3 km.
- Gibberish has no commune name within 2 edits, and none of its word n-grams is a name.
- Postcodes: a postcode stands for one commune when both sources say so; an ambiguous one
  lists only communes both sources give.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

HERE = Path(__file__).resolve().parent
DEFAULT_GEO = HERE.parents[2] / "shared" / "data" / "geo"
OUTPUT = HERE / "geo_cases.yaml"
MAX_INCLUDES = 3  # ambiguous cases list at most this many codes (the most populous first)

# --------------------------------------------------------------------------------------------
# Cases, by category. Found-by-name categories give only the query: the expected code is the
# one commune the checks find. Where a target must be named (typos, GPS), it is given.
# --------------------------------------------------------------------------------------------

# fmt: off
EXACT = [  # exact names, with accents and capitals
    "Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes", "Montpellier", "Strasbourg",
    "Bordeaux", "Lille", "Rennes", "Reims", "Saint-Étienne", "Dijon", "Angers", "Grenoble",
    "Nîmes", "Clermont-Ferrand", "Brest", "Tours", "Amiens", "Limoges", "Perpignan",
    "Besançon", "Orléans", "Rouen", "Caen", "Mulhouse", "Créteil", "Béziers", "Quimper",
    "Chambéry", "Fréjus", "Hyères", "Évreux", "Alès", "Sète", "Angoulême", "Compiègne",
    "Mâcon", "Épinal", "Châteauroux", "Guéret", "Mende", "Millau", "Figeac", "Rodez",
    "Privas", "Foix", "Égletons", "Tréguier", "Pontivy", "Ploërmel", "Fougères", "Vitré",
    "Châteaubriant", "Lodève", "Aurillac", "Pézenas", "Sarreguemines",
]

LOWER = [  # lower case, no accents
    "besancon", "orleans", "chateauroux", "montelimar", "epinal", "beziers", "nimes",
    "angouleme", "evreux", "chambery", "frejus", "creteil", "macon", "ales", "sete",
    "gueret", "vitre", "fougeres", "ploermel", "pezenas", "lodeve", "egletons",
    "metz", "nancy", "poitiers", "montlucon", "niort", "lorient", "vannes", "saint malo",
    "bayonne", "biarritz", "arcachon", "montauban", "albi", "cahors", "auch", "tarbes",
    "gap", "digne les bains", "manosque", "draguignan", "carpentras", "orange", "cavaillon",
    "uzes", "lunel", "agde", "perigueux", "ceret",
]

ABBREVIATIONS = [  # st / ste for saint / sainte
    "st etienne", "St-Malo", "st malo", "Ste Maxime", "st brieuc", "ST QUENTIN",
    "st jean de luz", "Ste-Foy-lès-Lyon", "st germain en laye", "st herblain",
    "st maur des fosses", "St-Ouen-sur-Seine", "st dizier", "St-Lô", "st avold",
    "st die des vosges", "st flour", "st girons", "st gaudens", "St-Affrique",
    "ste menehould", "st jean d angely", "st amand montrond", "st pol de leon", "st tropez",
]

PUNCTUATION = [  # hyphens, spaces and apostrophes written differently
    "villeneuve d ascq", "chalons en champagne", "aix en provence", "Boulogne Billancourt",
    "clermont ferrand", "Charleville Mezieres", "brive la gaillarde", "bourg en bresse",
    "mont de marsan", "Salon de Provence", "Thonon les Bains", "l isle sur la sorgue",
    "lisle sur la sorgue", "Villefranche sur Saone", "Chalon sur Saone", "Issy les Moulineaux",
    "Rueil Malmaison", "vitry sur seine", "Mantes la Jolie", "Saint Martin d Heres",
    "lhay les roses", "pont a mousson", "Lons le Saunier", "Bar le Duc", "villenave dornon",
]

TYPOS = [  # (query, intended commune name, its département)
    ("monpellier", "Montpellier", "34"),
    ("strasboug", "Strasbourg", "67"),
    ("bordaux", "Bordeaux", "33"),
    ("marseile", "Marseille", "13"),
    ("grennoble", "Grenoble", "38"),
    ("perpigan", "Perpignan", "66"),
    ("ajacio", "Ajaccio", "2A"),
    ("clermont ferand", "Clermont-Ferrand", "63"),
    ("toulousse", "Toulouse", "31"),
    ("angoulemme", "Angoulême", "16"),
    ("dunquerque", "Dunkerque", "59"),
    ("valencienne", "Valenciennes", "59"),
    ("villeurbane", "Villeurbanne", "69"),
    ("carcasonne", "Carcassonne", "11"),
    ("periguex", "Périgueux", "24"),
    ("auxere", "Auxerre", "89"),
    ("montaubant", "Montauban", "82"),
    ("tourcoin", "Tourcoing", "59"),
    ("mulouse", "Mulhouse", "68"),
    ("annemase", "Annemasse", "74"),
    ("thionvile", "Thionville", "57"),
    ("kimper", "Quimper", "29"),
    ("aubervillier", "Aubervilliers", "93"),
    ("argenteuille", "Argenteuil", "95"),
    ("versaille", "Versailles", "78"),
    ("nantere", "Nanterre", "92"),
    ("biaritz", "Biarritz", "64"),
    ("arcachonn", "Arcachon", "33"),
    ("mont de marsant", "Mont-de-Marsan", "40"),
    ("la roche sur lyon", "La Roche-sur-Yon", "85"),
    ("fontainbleau", "Fontainebleau", "77"),
    ("aix en provance", "Aix-en-Provence", "13"),
    ("boulogne billancour", "Boulogne-Billancourt", "92"),
    ("rambouilet", "Rambouillet", "78"),
    ("carpantras", "Carpentras", "84"),
    ("draguigan", "Draguignan", "83"),
    ("castelnaudarry", "Castelnaudary", "11"),
    ("montargi", "Montargis", "45"),
    ("hazebrouk", "Hazebrouck", "59"),
    ("concarneaux", "Concarneau", "29"),
    ("douarnennez", "Douarnenez", "29"),
    ("bergerak", "Bergerac", "24"),
    ("narbone", "Narbonne", "11"),
    ("brianson", "Briançon", "05"),
    ("besanson", "Besançon", "25"),
    ("chateaurous", "Châteauroux", "36"),
    ("montelimard", "Montélimar", "26"),
    ("sarreguemine", "Sarreguemines", "57"),
    ("charlevile mezieres", "Charleville-Mézières", "08"),
    ("bourg en bresses", "Bourg-en-Bresse", "01"),
]

ARTICLES = [  # article moved behind the name, as in official lists, or written out
    "Havre (Le)", "le havre", "Mans (Le)", "le mans", "Rochelle (La)", "Roche-sur-Yon (La)",
    "Sables-d'Olonne (Les)", "les sables d olonne", "Puy-en-Velay (Le)", "Creusot (Le)",
    "Ciotat (La)", "Seyne-sur-Mer (La)", "Isle-Adam (L')", "Teste-de-Buch (La)",
    "Touquet-Paris-Plage (Le)",
]

POSTCODES = [  # postcode alone: found when one commune, ambiguous otherwise
    "35000", "44000", "31000", "29200", "21000", "80000", "87000", "64000", "17000", "86000",
    "51100", "25000", "63000", "30000", "37000",
    "15270", "07000", "24200", "46100", "12000", "29100", "56400", "22300", "83310", "74400",
    "05100", "43000", "09000", "48000", "23000",
]

NAME_POSTCODE = [  # homonyms mostly, told apart by a postcode
    "Beaulieu 15270", "Saint-Denis 93200", "Valence 26000", "valence 82400",
    "Montreuil 93100", "Mérignac 33700", "saint nazaire 44600", "Castres 81100",
    "Chelles 77500", "Massy 91300", "Saint-Pierre 97410", "Saint-Paul 97460",
    "La Rochelle 17000", "Bagneux 92220", "Châtillon 92320", "Saint-Louis 68300",
    "Rochefort 17300", "Vernon 27200", "Rennes 35000", "brest 29200",
]

NAME_DEPARTEMENT = [  # homonyms mostly, told apart by a département number
    "Beaulieu (15)", "beaulieu 43", "Saint-Denis 93", "Saint-Denis (974)", "Valence (26)",
    "valence 82", "Montreuil 93", "Montreuil (85)", "Mérignac (33)", "Saint-Nazaire 44",
    "Castres 81", "Chelles (77)", "Massy 91", "Saint-Paul 974", "Saint-Louis 68",
    "Châtillon 92", "la rochelle 17", "Rochefort (17)", "Bagneux 92", "Sainte-Marie 974",
]

INSEE_CODES = [  # INSEE codes that are not also a postcode
    "35238", "31555", "33063", "44109", "67482", "2A004", "2B033", "06088", "34172",
    "21231", "15014", "87085", "23096", "12202", "48095",
]

FORMER_NAMES = [  # communes déléguées / associées → their current commune
    "Antrain", "Cherbourg-Octeville", "Bellegarde-sur-Valserine", "Champtoceaux",
    "Moret-sur-Loing", "Notre-Dame-de-Gravenchon", "Thorens-Glières", "Malesherbes",
    "Verneuil-sur-Avre", "Saint-Pierre-sur-Dives", "Caudebec-en-Caux", "Kaysersberg",
    "Brantôme", "Morez", "Aubevoye", "doue la fontaine", "Segré", "Château-du-Loir",
    "beaumont hague", "Le Chesnay",
]

ARRONDISSEMENTS = [  # (query, arrondissement code)
    ("Paris 11", "75111"), ("paris 18e", "75118"), ("Paris 1er", "75101"),
    ("paris 5eme", "75105"), ("Paris 20ème", "75120"), ("75015", "75115"), ("75019", "75119"),
    ("PARIS 16", "75116"), ("75116", "75116"), ("Paris 4e arrondissement", "75104"),
    ("Lyon 3e", "69383"), ("lyon 7", "69387"), ("Lyon 1er", "69381"), ("69009", "69389"),
    ("lyon 69003", "69383"), ("Marseille 8eme", "13208"), ("marseille 13e", "13213"),
    ("13013", "13213"), ("13001", "13201"), ("Marseille 4", "13204"),
]

GPS = [  # (INSEE code of a commune, decimals written: 4, 5 or 6)
    ("31555", 6), ("44109", 6), ("35238", 5), ("06088", 6), ("34172", 4), ("67482", 5),
    ("13001", 6), ("2A004", 5), ("97411", 6), ("72181", 4), ("15014", 6), ("46042", 5),
    ("48095", 6), ("23096", 5), ("36044", 6),
]

HOMONYMS = [  # names shared by several current communes, without qualifier
    "Beaulieu", "Saint-Denis", "Valence", "Montreuil", "Mérignac", "saint nazaire",
    "Castres", "chelles", "Massy", "Saint-Paul", "Bagneux", "Châtillon", "Saint-Pierre",
    "sainte marie", "Rochefort",
]

GIBBERISH = [  # nothing a commune could be
    "asdfgh", "je sais pas", "zzzzzz", "99999", "aucune idée", "chez moi", "nulle part",
    "qwertyuiop", "???", "🏠", "00000", "mon village", "dans le sud", "pas envie de dire",
    "je préfère pas le dire", "quelque part en france", "chez mes parents", "pourquoi ?",
    "n'importe quoi", "merci beaucoup",
]
# fmt: on

# --------------------------------------------------------------------------------------------
# Raw data index
# --------------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, no accents, every run of other characters as one space."""
    text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("æ", "ae")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def compact(text: str) -> str:
    """The folded text without spaces."""
    return fold(text).replace(" ", "")


def expand_abbreviations(key: str) -> str:
    """Folded key with the words st / ste written out."""
    words = {"st": "saint", "ste": "sainte"}
    return " ".join(words.get(w, w) for w in key.split())


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres."""
    (la1, lo1), (la2, lo2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = math.sin((la2 - la1) / 2) ** 2
    h += math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


class Geo:
    """What the raw files say about communes, names, postcodes and coordinates."""

    def __init__(self, root: Path) -> None:
        entries = json.loads((root / "decoupage-administratif-6.0.0" / "communes.json").read_text())
        self.current = {e["code"]: e for e in entries if e["type"] == "commune-actuelle"}
        self.arrondissements = {
            e["code"]: e for e in entries if e["type"] == "arrondissement-municipal"
        }
        self.former = [e for e in entries if e["type"] in ("commune-deleguee", "commune-associee")]
        former_parent = {e["code"]: e["chefLieu"] for e in self.former}

        # folded name -> current codes; same for current names only; compact keys likewise
        self.by_name: dict[str, set[str]] = defaultdict(set)
        self.by_current_name: dict[str, set[str]] = defaultdict(set)
        self.by_compact: dict[str, set[str]] = defaultdict(set)
        for e in self.current.values():
            self.by_name[fold(e["nom"])].add(e["code"])
            self.by_current_name[fold(e["nom"])].add(e["code"])
            self.by_compact[compact(e["nom"])].add(e["code"])
        for e in self.former:
            self.by_name[fold(e["nom"])].add(e["chefLieu"])
            self.by_compact[compact(e["nom"])].add(e["chefLieu"])
        self.former_keys = {fold(e["nom"]) for e in self.former}
        # every name that may be typed, arrondissements included, for the distance checks
        self.all_keys = sorted(
            set(self.by_name) | {fold(e["nom"]) for e in self.arrondissements.values()}
        )

        def resolve(code: str) -> str | None:
            if code in self.current or code in self.arrondissements:
                return code
            return former_parent.get(code)

        # postcode -> codes, from each source; Paris/Lyon/Marseille listed by arrondissement
        self.postcode_list: dict[str, set[str | None]] = defaultdict(set)
        rows = json.loads((root / "codes-postaux-4.1.2" / "codes-postaux.json").read_text())
        for row in rows:
            self.postcode_list[row["codePostal"]].add(resolve(row["codeCommune"]))
        self.postcode_cog: dict[str, set[str]] = defaultdict(set)
        for e in (*self.current.values(), *self.arrondissements.values()):
            for postcode in e.get("codesPostaux", []):
                self.postcode_cog[postcode].add(e["code"])
        for e in self.arrondissements.values():
            for postcode in e["codesPostaux"]:
                self.postcode_cog[postcode].discard(e["commune"])

        # CSV points: (lat, lng) -> the current commune they stand for (None if unknown)
        self.points: list[tuple[float, float, str | None]] = []
        self.own_point: dict[str, tuple[float, float]] = {}
        with (root / "communes-2024-insee.csv").open(newline="") as f:
            for row in csv.DictReader(f):
                if not row["lat"]:
                    continue
                point = (float(row["lat"]), float(row["lng"]))
                code = row["insee_com"]
                owner = former_parent.get(code) if row["commune_type"] == "COMD" else resolve(code)
                self.points.append((*point, owner))
                if row["commune_type"] == "COM" and code in self.current:
                    self.own_point.setdefault(code, point)

    def population(self, code: str) -> int:
        """Population of a current commune (0 if unknown)."""
        return int(self.current[code].get("population") or 0)

    def unique(self, key: str) -> str:
        """The one current commune a folded name stands for, or raise."""
        codes = self.by_name.get(key, set())
        if len(codes) != 1:
            raise CaseError(f"{key!r} gives {len(codes)} communes: {sorted(codes)[:6]}")
        compact_codes = self.by_compact.get(key.replace(" ", ""), set())
        if compact_codes != codes:
            raise CaseError(f"{key!r} without spaces also matches {sorted(compact_codes)}")
        return next(iter(codes))

    def includes(self, codes: set[str]) -> list[str]:
        """The most populous few of several current codes, as the ambiguous cases list them."""
        return sorted(codes, key=lambda c: (-self.population(c), c))[:MAX_INCLUDES]

    def postcode(self, postcode: str) -> tuple[set[str], set[str]]:
        """Communes of a postcode given by both sources, and by either."""
        listed = self.postcode_list.get(postcode, set())
        cog = self.postcode_cog.get(postcode, set())
        if not listed or not cog or None in listed:
            raise CaseError(f"postcode {postcode}: missing, or a commune of it is unknown")
        return {c for c in listed if c in cog}, {c for c in listed | cog if c}

    def is_postcode(self, code: str) -> bool:
        """Whether a 5-character string is a postcode in either source."""
        return code in self.postcode_list or code in self.postcode_cog

    def nearest_others(self, key: str, codes: set[str]) -> tuple[str, int, str, float]:
        """The name of another commune closest to a folded query by edit distance and its
        distance, then the one most similar by ``fuzz.ratio`` and its score."""
        foreign = [k for k in self.all_keys if not self.by_name.get(k, {"?"}) <= codes]
        near, distance, _ = extract(key, foreign, scorer=Levenshtein.distance, limit=1)[0]
        like, score, _ = extract(key, foreign, scorer=fuzz.ratio, limit=1)[0]
        return near, int(distance), like, score


class CaseError(ValueError):
    """A hand-written case is not what its category claims."""


# --------------------------------------------------------------------------------------------
# Checks, one per category; each returns the expected fields of one case
# --------------------------------------------------------------------------------------------

Case = dict[str, Any]


def found(code: str) -> Case:
    return {"status": "found", "insee": code}


def ambiguous(geo: Geo, codes: set[str]) -> Case:
    if len(codes) < 2:
        raise CaseError(f"not ambiguous: {codes}")
    return {"status": "ambiguous", "includes": geo.includes(codes)}


def check_exact(geo: Geo, query: str) -> Case:
    code = geo.unique(fold(query))
    if geo.current[code]["nom"] != query:
        raise CaseError(f"{query!r} is not written as {geo.current[code]['nom']!r}")
    return found(code)


def check_lower(geo: Geo, query: str) -> Case:
    if query != fold(query):
        raise CaseError(f"{query!r} is not lower case without accents or punctuation")
    return found(geo.unique(query))


def check_abbreviation(geo: Geo, query: str) -> Case:
    key = fold(query)
    if not {"st", "ste"} & set(key.split()):
        raise CaseError(f"{query!r} has no st/ste")
    if key in geo.by_name:
        raise CaseError(f"{query!r} is already a name as written")
    return found(geo.unique(expand_abbreviations(key)))


def check_punctuation(geo: Geo, query: str) -> Case:
    codes = geo.by_compact.get(compact(query), set())
    if len(codes) != 1:
        raise CaseError(f"{query!r} gives {sorted(codes)}")
    code = next(iter(codes))
    name = geo.current[code]["nom"]
    if query == name or not re.search(r"[-' ]", name):
        raise CaseError(f"{query!r} does not vary the punctuation of {name!r}")
    if fold(query) in geo.by_name and geo.by_name[fold(query)] != codes:
        raise CaseError(f"{query!r} is also another name")
    return found(code)


def check_typo(geo: Geo, query: str, name: str, departement: str) -> Case:
    codes = {
        c
        for c in geo.by_current_name.get(fold(name), set())
        if geo.current[c]["departement"] == departement
    }
    if len(codes) != 1:
        raise CaseError(f"target {name} ({departement}) not found")
    code = next(iter(codes))
    key, target = fold(query), fold(name)
    letters = len(target.replace(" ", ""))
    distance = Levenshtein.distance(key, target)
    if key in geo.by_name or letters < 6 or not 1 <= distance <= 2:
        raise CaseError(f"{query!r}: distance {distance} to {name!r} ({letters} letters)")
    geo.unique(target)
    near, near_distance, like, score = geo.nearest_others(key, codes)
    if near_distance <= distance or score >= fuzz.ratio(key, target):
        raise CaseError(f"{query!r}: {distance} edits to {name!r}, but {near!r} or {like!r}")
    return found(code)


ARTICLE_BEHIND = re.compile(r"^(.*?)\s*\((le|la|les|l')\)$", re.IGNORECASE)


def check_article(geo: Geo, query: str) -> Case:
    moved = ARTICLE_BEHIND.match(query)
    key = fold(f"{moved[2]} {moved[1]}") if moved else fold(query)
    article, _, rest = key.partition(" ")
    if article not in ("le", "la", "les", "l"):
        raise CaseError(f"{query!r} has no article")
    if geo.by_name.get(rest, set()) - geo.by_name.get(key, set()):
        raise CaseError(f"{query!r}: without the article, another commune")
    codes = geo.by_name.get(key, set())
    if len(codes) == 1:
        return found(geo.unique(key))
    return ambiguous(geo, geo.by_current_name[key])


def check_postcode(geo: Geo, query: str) -> Case:
    both, either = geo.postcode(query)
    if either & set(geo.arrondissements):
        raise CaseError(f"{query}: arrondissements belong to their own category")
    return found(next(iter(both))) if len(either) == 1 else ambiguous(geo, both)


def split_qualifier(query: str) -> tuple[str, str]:
    match = re.fullmatch(r"(.*?)\s*\(?\s*(\d{5}|\d{2,3}|2[ab])\s*\)?", query, re.IGNORECASE)
    if not match:
        raise CaseError(f"{query!r} has no qualifier")
    return fold(match[1]), match[2].upper()


def check_name_postcode(geo: Geo, query: str) -> Case:
    key, postcode = split_qualifier(query)
    if len(postcode) != 5:
        raise CaseError(f"{query!r} has no postcode")
    both, either = geo.postcode(postcode)
    codes = geo.by_name.get(key, set()) & either
    if len(codes) != 1 or not codes <= both:
        raise CaseError(f"{query!r} gives {codes}")
    return found(next(iter(codes)))


def check_name_departement(geo: Geo, query: str) -> Case:
    key, departement = split_qualifier(query)
    codes = {c for c in geo.by_name.get(key, set()) if geo.current[c]["departement"] == departement}
    if len(codes) != 1:
        raise CaseError(f"{query!r} gives {codes}")
    return found(next(iter(codes)))


def check_insee(geo: Geo, query: str) -> Case:
    if query not in geo.current or geo.is_postcode(query):
        raise CaseError(f"{query}: not a current commune code, or also a postcode")
    return found(query)


def check_former(geo: Geo, query: str) -> Case:
    key = fold(query)
    if key not in geo.former_keys or key in geo.by_current_name:
        raise CaseError(f"{query!r} is not only a former name")
    return found(geo.unique(key))


def check_arrondissement(geo: Geo, query: str, code: str) -> Case:
    entry = geo.arrondissements.get(code)
    if entry is None:
        raise CaseError(f"{code} is no arrondissement")
    key = fold(query)
    if key.isdigit():
        if key not in entry["codesPostaux"]:
            raise CaseError(f"{query} is not a postcode of {entry['nom']}")
    else:
        number = int(re.search(r"\d+", entry["nom"])[0])  # type: ignore[index]
        city = fold(geo.current[entry["commune"]]["nom"])
        numbers = re.findall(r"\d+", key)
        if not key.startswith(city) or int(numbers[-1]) % 100 != number:
            raise CaseError(f"{query!r} does not name {entry['nom']}")
    return found(code)


def check_gps(geo: Geo, code: str, decimals: int) -> tuple[str, Case]:
    lat, lng = geo.own_point[code]
    if decimals == 6:  # a phone's fix a few metres off the recorded point
        lat, lng = lat + 0.000137, lng - 0.000211
    query = f"{lat:.{decimals}f}, {lng:.{decimals}f}"
    point = (float(query.split(",")[0]), float(query.split(",")[1]))
    if km(point, geo.own_point[code]) > 0.1:
        raise CaseError(f"{query} is off {code}")
    near = min(
        km(point, (p[0], p[1]))
        for p in geo.points
        if p[2] != code and abs(p[0] - lat) < 0.2 and abs(p[1] - lng) < 0.3
    )
    if near < 3.0:
        raise CaseError(f"{code}: another commune's point {near:.1f} km away")
    return query, found(code)


def check_homonym(geo: Geo, query: str) -> Case:
    return ambiguous(geo, geo.by_current_name.get(expand_abbreviations(fold(query)), set()))


def check_gibberish(geo: Geo, query: str) -> Case:
    key = fold(query)
    if key.isdigit() and (key in geo.current or geo.is_postcode(key)):
        raise CaseError(f"{query} is a code")
    words = key.split()
    grams = {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    named = grams & set(geo.all_keys)
    if named:
        raise CaseError(f"{query!r}: {sorted(named)} are names")
    for text in {key, key.replace(" ", "")} - {""}:
        near, distance, _ = extract(text, geo.all_keys, scorer=Levenshtein.distance, limit=1)[0]
        if distance <= 2:
            raise CaseError(f"{query!r} is {distance} edits from {near!r}")
    return {"status": "not_found"}


# --------------------------------------------------------------------------------------------


def build(geo: Geo) -> tuple[list[tuple[str, list[Case]]], list[str]]:
    """Every category's cases, and the errors found."""
    errors: list[str] = []
    sections: list[tuple[str, list[Case]]] = []

    def run(category: str, items: list[Any], check: Any) -> None:
        cases = []
        for item in items:
            args = item if isinstance(item, tuple) else (item,)
            try:
                result = check(geo, *args)
            except (CaseError, KeyError) as error:
                errors.append(f"[{category}] {args[0]}: {error}")
                continue
            query, expected = result if isinstance(result, tuple) else (args[0], result)
            cases.append({"query": query, **expected, "category": category})
        sections.append((category, cases))

    run("exact", EXACT, check_exact)
    run("lower", LOWER, check_lower)
    run("abbreviation", ABBREVIATIONS, check_abbreviation)
    run("punctuation", PUNCTUATION, check_punctuation)
    run("typo", TYPOS, check_typo)
    run("article", ARTICLES, check_article)
    run("postcode", POSTCODES, check_postcode)
    run("name-postcode", NAME_POSTCODE, check_name_postcode)
    run("name-departement", NAME_DEPARTEMENT, check_name_departement)
    run("insee", INSEE_CODES, check_insee)
    run("former-name", FORMER_NAMES, check_former)
    run("arrondissement", ARRONDISSEMENTS, check_arrondissement)
    run("gps", GPS, check_gps)
    run("homonym", HOMONYMS, check_homonym)
    run("not-found", GIBBERISH, check_gibberish)

    queries = Counter(c["query"] for _, cases in sections for c in cases)
    errors += [f"duplicate query {q!r}" for q, n in queries.items() if n > 1]
    return sections, errors


HEADER = """\
# Commune queries as a citizen types them after « Dans quelle commune ? », with the outcome
# expected from the resolver. Generated by make_geo_cases.py, which checks every answer on the
# raw data in shared/data/geo (COG 2026 communes, codes-postaux 4.1.2, 2024 CSV coordinates);
# edit the lists in that script and run it again rather than editing this file by hand.
#
#   status: found      → insee: the one expected code (an arrondissement for Paris/Lyon/Marseille
#                        when one is named)
#   status: ambiguous  → includes: codes that must be among the candidates offered
#                        (the most populous, at most 3)
#   status: not_found
#   category: which kind of query this is, to report results per category
#
# Five digits are read as a postcode first, as citizens mean them: "13001" is Marseille 1er, not
# Aix-en-Provence (INSEE 13001); six postcode cases and three arrondissement cases are also some
# commune's INSEE code. The insee cases are codes that are no postcode.
# "13013" is the 13th arrondissement of Marseille (its own postcode in the COG), although
# codes-postaux.json also lists parts of the 12th and 14th under it.
"""


def dump(sections: list[tuple[str, list[Case]]]) -> str:
    lines = [HEADER]
    for category, cases in sections:
        lines.append(f"\n# --- {category} ({len(cases)}) ---")
        for case in cases:
            lines.append(f"- query: {json.dumps(case['query'], ensure_ascii=False)}")
            lines.append(f"  status: {case['status']}")
            if "insee" in case:
                lines.append(f'  insee: "{case["insee"]}"')
            if "includes" in case:
                lines.append(f"  includes: {json.dumps(case['includes'])}")
            lines.append(f"  category: {case['category']}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geo-dir", type=Path, default=DEFAULT_GEO)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    geo = Geo(args.geo_dir)
    sections, errors = build(geo)
    for category, cases in sections:
        print(f"{category:18} {len(cases):4}  {dict(Counter(c['status'] for c in cases))}")
    print(f"{'total':18} {sum(len(c) for _, c in sections):4}")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    text = dump(sections)
    flat = [c for _, cases in sections for c in cases]
    assert yaml.safe_load(text) == flat, "the YAML does not read back as written"
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
